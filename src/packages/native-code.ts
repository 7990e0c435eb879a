/**
 * What cannot run in the sandbox: code compiled for the host's processor. An interpreter built for
 * WebAssembly cannot load a shared library, so a package that ships one (a Python C extension, a native
 * gem, a Node addon) is refused before anything runs, naming the file.
 */

/** File endings of native libraries and addons. */
const NATIVE_ENDINGS = /\.(so(\.\d+)*|dylib|dll|pyd|node|bundle)$/i;

/** Magic bytes of ELF, Mach-O (both byte orders, 32 and 64 bit, fat) and PE executables. */
function nativeMagic(data: Uint8Array): string | undefined {
  if (data.byteLength < 4) return undefined;
  const word = ((data[0]! << 24) | (data[1]! << 16) | (data[2]! << 8) | data[3]!) >>> 0;
  if (word === 0x7f454c46) return 'an ELF binary';
  if ([0xfeedface, 0xfeedfacf, 0xcefaedfe, 0xcffaedfe, 0xcafebabe].includes(word)) return 'a Mach-O binary';
  if (data[0] === 0x4d && data[1] === 0x5a && data.byteLength >= 64) {
    const pe = new DataView(data.buffer, data.byteOffset, data.byteLength).getUint32(0x3c, true);
    if (pe + 4 <= data.byteLength && data[pe] === 0x50 && data[pe + 1] === 0x45 && data[pe + 2] === 0 && data[pe + 3] === 0) return 'a Windows (PE) binary';
  }
  return undefined;
}

/**
 * Why `path` (relative to its package) is native code the sandbox cannot load, or undefined when it is
 * not. Checked by name, then by the file's first bytes for binaries without a telling name.
 */
export function nativeCodeReason(path: string, data: Uint8Array | undefined): string | undefined {
  if (NATIVE_ENDINGS.test(path)) return 'it is a native library compiled for the host, which an interpreter running in WebAssembly cannot load';
  if (/(^|\/)ext\/(.+\/)?extconf\.rb$/.test(path))
    return 'it builds a native Ruby extension (a C library for the host), which the WebAssembly Ruby cannot load';
  const magic = data && !/\.(wasm|png|jpe?g|gif|ico|pdf|gz|zip|mo)$/i.test(path) ? nativeMagic(data) : undefined;
  if (magic) return `it is ${magic} for the host, which cannot run inside the WebAssembly sandbox`;
  return undefined;
}
