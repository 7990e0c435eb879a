/**
 * Our WASI layer, call by call: a C program (wasi-syscalls.c) built once with the bundled clang and wasm-ld
 * runs its probes under {@link SandboxWASI} on a fresh virtual filesystem, with a virtual clock that
 * records every sleep (no real waiting) and a known random byte stream. Its C library calls
 * `wasi_unstable`; the calls whose layouts differ are probed through `wasi_snapshot_preview1` too.
 *
 * | call | probed by |
 * |---|---|
 * | args_get, args_sizes_get, environ_get, environ_sizes_get | arguments and environment |
 * | clock_time_get, clock_res_get | clocks |
 * | random_get | randomness |
 * | fd_read, fd_write, fd_pread, fd_pwrite, fd_seek, fd_tell, fd_sync, fd_datasync, fd_advise, fd_allocate, fd_fdstat_get, fd_fdstat_set_flags, fd_fdstat_set_rights, fd_filestat_get, fd_filestat_set_size, fd_filestat_set_times, fd_renumber, fd_close | descriptors on files |
 * | fd_prestat_get, fd_prestat_dir_name | the preopened root |
 * | path_open (creat, excl, trunc, directory, rights), path_create_directory, path_remove_directory, path_unlink_file, path_rename, path_filestat_get, path_filestat_set_times, path_symlink, path_readlink, path_link (refused), escapes | paths |
 * | fd_readdir | directory listings |
 * | poll_oneoff (clock sleeps, fd readiness), sched_yield | polling |
 * | fd_filestat_get, path_filestat_get, fd_seek, poll_oneoff, fd_write through preview1 | preview1 layouts |
 * | fd_read, fd_write on devices, EFAULT | standard streams |
 * | proc_exit, proc_raise, sock_recv, sock_send, sock_shutdown | exit |
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { VirtualFS, type VFile } from '../../src/fs/virtual-fs.js';
import { compilerFlags } from '../../src/languages/native/compile-pipeline.js';
import { JobRunner } from '../../src/runtime/job-runner.js';
import { runtimeBinariesDir } from '../../src/runtime/package-paths.js';
import { ToolRunner } from '../../src/runtime/tool-runner.js';
import { Errno, FileType } from '../../src/runtime/wasi/abi.js';
import { SandboxWASI, type SandboxClock } from '../../src/runtime/wasi/sandbox-wasi.js';
import { WorkerPool } from '../../src/runtime/worker-pool.js';

const SOURCE = readFileSync(new URL('./wasi-syscalls.c', import.meta.url), 'utf8');
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Where the virtual clock starts: a realtime instant whose nanoseconds are small, and a monotonic origin. */
const REALTIME_START = 1_700_000_000_000_000_123n;
const MONOTONIC_START = 5_000_000_000n;

/** Compiler helpers (`clock_nanosleep` multiplies in 128 bits). */
const BUILTINS = '/sys/lib/clang/8.0.1/lib/wasi/libclang_rt.builtins-wasm32.a';

let program: WebAssembly.Module;

beforeAll(async () => {
  const pool = new WorkerPool({ size: 1, maxQueue: 4, dedicatedLimit: 1 });
  try {
    const tools = new ToolRunner(new JobRunner(pool), undefined);
    const compile = await tools.runTool({
      runtime: 'clang',
      argv: ['clang', ...compilerFlags('c'), '-o', '/build/syscalls.o', '/build/syscalls.c'],
      cwd: '/build',
      files: [{ path: '/build/syscalls.c', data: encoder.encode(SOURCE) }],
    });
    const object = compile.files.get('/build/syscalls.o');
    if (compile.exitCode !== 0 || !object) throw new Error(`clang failed: ${compile.failure ?? ''}\n${compile.stderr}`);
    // Imports wasm-ld may leave undefined: the preview1 functions the program declares, and the two
    // wasi_unstable functions its C library never calls (so libc.imports does not list them).
    const imports = [...SOURCE.matchAll(/^int (p1_\w+)\(/gm)].map((match) => match[1]).concat('__wasi_fd_fdstat_set_rights', '__wasi_proc_raise');
    const link = await tools.runTool({
      runtime: 'wasm-ld',
      argv: ['wasm-ld', '--no-threads', '-L/sys/lib/wasm32-wasi', '/sys/lib/wasm32-wasi/crt1.o', '/build/syscalls.o', '-lc', BUILTINS, '--allow-undefined-file=/build/extra.imports', '-o', '/build/syscalls.wasm'],
      cwd: '/build',
      files: [
        { path: '/build/syscalls.o', data: object },
        { path: '/build/extra.imports', data: encoder.encode(imports.join('\n')) },
      ],
    });
    const wasm = link.files.get('/build/syscalls.wasm');
    if (link.exitCode !== 0 || !wasm) throw new Error(`wasm-ld failed: ${link.failure ?? ''}\n${link.stderr}`);
    program = await WebAssembly.compile(wasm);
  } finally {
    await pool.close();
  }
});

/** What one run of a probe group gave. */
interface Run {
  exitCode: number;
  /** Stdout, with a `sleep=<ns>` line wherever the program slept. */
  lines: string[];
  /** The `key=value` lines (the last value of a repeated key). */
  values: Map<string, string>;
  stderr: Uint8Array;
  fs: VirtualFS;
  /** The value printed for `key`; fails the test when the program did not print it. */
  get(key: string): string;
}

interface RunOptions {
  args?: string[];
  env?: Record<string, string>;
  /** Chunks standard input hands out, each at most as long as the read asks for. */
  stdin?: Uint8Array[];
}

/** Runs one probe group of the program under SandboxWASI, on a fresh filesystem. */
function run(group: string, options: RunOptions = {}): Run {
  const fs = new VirtualFS();
  fs.writeFile('/data/in.txt', encoder.encode('hello world'));
  fs.writeFile('/data/trunc.txt', encoder.encode('12345'));
  fs.mkdirp('/tmp');
  let transcript = '';
  const stderr: Uint8Array[] = [];
  const input = [...(options.stdin ?? [])];
  const stdout = fs.addDevice('/dev/stdout', {
    write(bytes) {
      transcript += decoder.decode(bytes);
      return Errno.SUCCESS;
    },
  });
  const errors = fs.addDevice('/dev/stderr', {
    write(bytes) {
      stderr.push(bytes.slice());
      return Errno.SUCCESS;
    },
  });
  const stdin = fs.addDevice('/dev/stdin', {
    read(max) {
      const chunk = input.shift();
      if (!chunk) return new Uint8Array(0);
      if (chunk.byteLength > max) input.unshift(chunk.subarray(max));
      return chunk.subarray(0, max);
    },
  });
  const clock = virtualClock((ns) => {
    transcript += `sleep=${ns}\n`;
  });
  const wasi = new SandboxWASI({ args: ['syscalls', group, ...(options.args ?? [])], env: options.env ?? {}, fs, stdio: [stdin, stdout, errors], clock });
  const instance = new WebAssembly.Instance(program, wasi.sandboxImports());
  const exitCode = wasi.run(instance, instance.exports.memory as WebAssembly.Memory);
  const lines = transcript.split('\n').filter(Boolean);
  const values = new Map<string, string>();
  for (const line of lines) {
    const at = line.indexOf('=');
    if (at > 0) values.set(line.slice(0, at), line.slice(at + 1));
  }
  return {
    exitCode,
    lines,
    values,
    stderr: Buffer.concat(stderr),
    fs,
    get(key) {
      const value = values.get(key);
      if (value === undefined) throw new Error(`The program printed no "${key}". Its output:\n${transcript}`);
      return value;
    },
  };
}

/**
 * A clock that moves only when the program sleeps, by exactly the time asked (so sleeps never wait and
 * are seen exactly), with a known random byte stream.
 */
function virtualClock(onSleep: (ns: bigint) => void): SandboxClock {
  let elapsed = 0n;
  let randomCounter = 0;
  return {
    realtimeNs: () => REALTIME_START + elapsed,
    monotonicNs: () => MONOTONIC_START + elapsed,
    sleepNs(ns) {
      onSleep(ns);
      elapsed += ns;
    },
    fillRandom(target) {
      for (let i = 0; i < target.byteLength; i++) target[i] = randomByte(randomCounter++);
    },
  };
}

/** The random stream of the virtual clock. */
const randomByte = (index: number): number => (index * 7 + 3) & 0xff;

/** `0`, or an errno as the program prints it. */
const e = (errno: number): string => String(errno);

const fileText = (fs: VirtualFS, path: string): string | undefined => {
  const node = fs.lookup(path);
  return node?.kind === 'file' ? decoder.decode((node as VFile).data.subarray(0, (node as VFile).size)) : undefined;
};

describe('arguments and environment', () => {
  it('hands over every argument and variable as UTF-8, and faults on bad pointers', () => {
    const result = run('args', { args: ['héllo wörld', ''], env: { A: '1', UTF: 'ü€', EMPTY: '' } });
    expect(result.exitCode).toBe(0);
    expect(result.get('argc')).toBe('4');
    expect([0, 1, 2, 3].map((i) => result.get(`argv${i}`))).toEqual(['[syscalls]', '[args]', '[héllo wörld]', '[]']);
    expect(result.get('env.A')).toBe('[1]');
    expect(result.get('env.UTF')).toBe('[ü€]');
    expect(result.get('env.EMPTY')).toBe('[]');
    expect(result.get('env.MISSING')).toBe('unset');
    expect(result.get('args_sizes_get')).toBe('0');
    expect(result.get('args.count')).toBe('4');
    expect(result.get('args.bytes')).toBe(String(Buffer.byteLength('syscalls\0args\0héllo wörld\0\0')));
    expect(result.get('environ.count')).toBe('3');
    expect(result.get('environ.bytes')).toBe(String(Buffer.byteLength('A=1\0UTF=ü€\0EMPTY=\0')));
    expect(result.get('args_get.fault')).toBe(e(Errno.FAULT));
    expect(result.get('environ_sizes_get.fault')).toBe(e(Errno.FAULT));
  });
});

describe('clocks and randomness', () => {
  it('reads the realtime, monotonic and CPU-time clocks and their resolution', () => {
    const result = run('clocks');
    expect(result.get('realtime.err')).toBe('0');
    expect(result.get('realtime')).toBe(String(REALTIME_START));
    expect(result.get('monotonic')).toBe(String(MONOTONIC_START));
    expect(result.get('time')).toBe(String(REALTIME_START / 1_000_000_000n));
    expect(result.get('realtime.res')).toBe('1000');
    expect(result.get('monotonic.res')).toBe('1000');
    // CPU time counts from the start of the program; this clock has not moved since.
    expect(result.get('process.err')).toBe('0');
    expect(result.get('process')).toBe('0');
    expect(result.get('thread.err')).toBe('0');
    expect(result.get('time_get.bad_clock')).toBe(e(Errno.INVAL));
    expect(result.get('res_get.bad_clock')).toBe(e(Errno.INVAL));
    expect(result.get('time_get.fault')).toBe(e(Errno.FAULT));
  });

  it('fills any length with the clock source’s random bytes', () => {
    const result = run('random');
    expect(result.get('random_get')).toBe('0');
    expect(result.get('random.first')).toBe(`${randomByte(0)},${randomByte(1)},${randomByte(2)}`);
    let hash = 0n;
    for (let i = 0; i < 100_000; i++) hash = (hash * 31n + BigInt(randomByte(i))) & 0xffff_ffff_ffff_ffffn;
    expect(result.get('random.hash')).toBe(String(hash));
    expect(result.get('getentropy')).toBe('0');
    expect(result.get('getentropy.first')).toBe(String(randomByte(100_000)));
    expect(result.get('random_get.empty')).toBe('0');
    expect(result.get('random_get.fault')).toBe(e(Errno.FAULT));
  });
});

describe('descriptors on files', () => {
  let result: Run;
  beforeAll(() => {
    result = run('files');
  });

  it('reads, seeks and tells', () => {
    expect(result.get('open.ro')).toBe('0');
    expect(result.get('read')).toBe('5:hello');
    expect(result.get('lseek.cur')).toBe('5');
    expect(result.get('tell.err')).toBe('0');
    expect(result.get('tell')).toBe('5');
    expect(result.get('pread')).toBe('5:world');
    expect(result.get('tell.after_pread')).toBe('5');
    expect(result.get('lseek.end')).toBe('11');
    expect(result.get('lseek.negative')).toBe(e(Errno.INVAL));
    expect(result.get('read.eof')).toBe('0');
    expect(result.get('lseek.past_end')).toBe('20');
    expect(result.get('read.past_end')).toBe('0');
    expect(result.get('readv')).toBe('5:hello');
  });

  it('writes, writes at offsets, truncates, grows and allocates', () => {
    expect(result.get('open.rw')).toBe('0');
    expect(result.get('write')).toBe('6');
    expect(result.get('pwrite')).toBe('2');
    expect(result.get('tell.after_pwrite')).toBe('6');
    expect(result.get('writev')).toBe('5');
    expect(result.get('content.written')).toBe('aXYdef12345');
    expect(result.get('fsync')).toBe('0');
    expect(result.get('fdatasync')).toBe('0');
    expect(result.get('ftruncate.shrink')).toBe('0');
    expect(result.get('size.shrunk')).toBe('3');
    expect(result.get('content.shrunk')).toBe('aXY');
    expect(result.get('ftruncate.grow')).toBe('0');
    expect(result.get('pread.grown')).toBe('6:0,0,0');
    expect(result.get('posix_fallocate')).toBe('0');
    expect(result.get('size.allocated')).toBe('20');
    expect(result.get('posix_fallocate.within')).toBe('0');
    expect(result.get('size.within')).toBe('20');
    expect(result.get('posix_fadvise')).toBe('0');
    expect(result.get('fd_advise.bad')).toBe(e(Errno.INVAL));
    expect(result.get('fd_advise.closed')).toBe(e(Errno.BADF));
  });

  it('reports and sets descriptor flags, rights and file stats', () => {
    expect(result.get('fdstat.type')).toBe(String(FileType.REGULAR_FILE));
    expect(result.get('fdstat.read')).toBe('1');
    expect(result.get('fdstat.write')).toBe('0');
    expect(result.get('futimens')).toBe('0');
    expect(result.get('stat.atim')).toBe('1000.5');
    expect(result.get('stat.mtim')).toBe('2000.7');
    expect(result.get('set_times.both')).toBe(e(Errno.INVAL));
    expect(result.get('set_times.now')).toBe('0');
    expect(result.get('stat.mtim.now')).toBe(`${REALTIME_START / 1_000_000_000n}.${REALTIME_START % 1_000_000_000n}`);
    expect(result.get('filestat.type')).toBe(String(FileType.REGULAR_FILE));
    expect(result.get('filestat.nlink')).toBe('1');
    expect(result.get('filestat.size')).toBe('20');
    expect(result.get('fcntl.setfl')).toBe('0');
    expect(result.get('fcntl.getfl.append')).toBe('1');
    expect(result.get('append.size')).toBe('21');
    expect(result.get('append.last')).toBe('Z');
    expect(result.get('o_append.size')).toBe('22');
    expect(result.get('set_rights.drop')).toBe('0');
    expect(result.get('write.dropped')).toBe(e(Errno.BADF));
    expect(result.get('read.kept')).toBe('1');
    expect(result.get('set_rights.regain')).toBe(e(Errno.NOTCAPABLE));
    expect(result.get('set_rights.closed')).toBe(e(Errno.BADF));
  });

  it('closes and renumbers descriptors, and runs out of them at 1024', () => {
    expect(result.get('close')).toBe('0');
    expect(result.get('close.again')).toBe(e(Errno.BADF));
    expect(result.get('read.closed')).toBe(e(Errno.BADF));
    expect(result.get('renumber')).toBe('0');
    expect(result.get('renumber.read')).toBe('5:hello');
    expect(result.get('renumber.from_closed')).toBe(e(Errno.BADF));
    expect(result.get('renumber.to_unopened')).toBe(e(Errno.BADF));
    expect(result.get('renumber.from_unopened')).toBe(e(Errno.BADF));
    expect(result.get('renumber.same')).toBe('0');
    expect(result.get('emfile.opened')).toBe('1020');
    expect(result.get('emfile.errno')).toBe(e(Errno.MFILE));
  });

  it('refuses file operations on directories, streams and read-only descriptors', () => {
    expect(result.get('write.readonly')).toBe(e(Errno.BADF));
    expect(result.get('ftruncate.readonly')).toBe(e(Errno.BADF));
    expect(result.get('fd_allocate.readonly')).toBe(e(Errno.BADF));
    expect(result.get('read.dir')).toBe(e(Errno.ISDIR));
    expect(result.get('write.dir')).toBe(e(Errno.ISDIR));
    expect(result.get('pread.dir')).toBe(e(Errno.ISDIR));
    expect(result.get('ftruncate.dir')).toBe(e(Errno.ISDIR));
    expect(result.get('fdstat.dir.type')).toBe(String(FileType.DIRECTORY));
    expect(result.get('fsync.dir')).toBe('0');
    expect(result.get('lseek.stdout')).toBe(e(Errno.SPIPE));
    expect(result.get('pwrite.stdout')).toBe(e(Errno.SPIPE));
    expect(result.get('pread.stdin')).toBe(e(Errno.SPIPE));
    expect(result.get('tell.stdout')).toBe(e(Errno.SPIPE));
    expect(result.get('ftruncate.stdout')).toBe(e(Errno.INVAL));
    expect(result.get('fdstat.stdout.type')).toBe(String(FileType.CHARACTER_DEVICE));
    expect(result.get('fdstat.stdout.seek')).toBe('0');
    expect(result.get('filestat.stdout.type')).toBe(String(FileType.CHARACTER_DEVICE));
    expect(result.get('fd_sync.closed')).toBe(e(Errno.BADF));
    expect(result.get('fd_datasync.closed')).toBe(e(Errno.BADF));
  });

  it('leaves the files as the program wrote them', () => {
    const written = fileText(result.fs, '/tmp/out.txt')!;
    expect(written.length).toBe(22);
    expect(written.slice(0, 3)).toBe('aXY');
    expect(written.slice(20)).toBe('Z!');
  });
});

describe('the preopened root', () => {
  it('is descriptor 3, named "/", wherever it is renumbered', () => {
    const result = run('prestat');
    expect(result.get('prestat.err')).toBe('0');
    expect(result.get('prestat.type')).toBe('0');
    expect(result.get('prestat.len')).toBe('1');
    expect(result.get('dir_name.err')).toBe('0');
    expect(result.get('dir_name')).toBe('/');
    expect(result.get('dir_name.short')).toBe(e(Errno.NAMETOOLONG));
    expect(result.get('prestat.stdout')).toBe(e(Errno.BADF));
    expect(result.get('prestat.unopened')).toBe(e(Errno.BADF));
    expect(result.get('prestat.opened_dir')).toBe(e(Errno.BADF));
    expect(result.get('prestat.fault')).toBe(e(Errno.FAULT));
    expect(result.get('renumber.root')).toBe('0');
    expect(result.get('prestat.renumbered')).toBe('0');
    expect(result.get('open.via_renumbered_root')).toBe('0');
    expect(result.get('close.root')).toBe('0');
    expect(result.get('open.without_root')).toBe(e(Errno.BADF));
  });
});

describe('paths', () => {
  let result: Run;
  beforeAll(() => {
    result = run('paths');
  });

  it('opens with creat, excl, trunc and directory, and with the rights asked for', () => {
    expect(result.get('creat.excl')).toBe('0');
    expect(result.get('creat.excl.exists')).toBe(e(Errno.EXIST));
    expect(result.get('open.creat.exists')).toBe('0');
    expect(result.get('open.dir_rdonly')).toBe('0');
    expect(result.get('open.dir_o_directory')).toBe('0');
    expect(result.get('open.trunc')).toBe('0');
    expect(result.get('trunc.size')).toBe('0');
    expect(result.get('open.read_only_rights')).toBe('0');
    expect(result.get('write.without_right')).toBe(e(Errno.BADF));
    expect(result.get('open.write_only_rights')).toBe('0');
    expect(result.get('read.without_right')).toBe(e(Errno.BADF));
  });

  it('refuses opens with the errno POSIX gives', () => {
    expect(result.get('open.missing')).toBe(e(Errno.NOENT));
    expect(result.get('open.missing_parent')).toBe(e(Errno.NOENT));
    expect(result.get('open.file_as_parent')).toBe(e(Errno.NOTDIR));
    expect(result.get('open.file_as_parent.creat')).toBe(e(Errno.NOTDIR));
    expect(result.get('open.file_trailing_slash')).toBe(e(Errno.NOTDIR));
    expect(result.get('open.creat_trailing_slash')).toBe(e(Errno.ISDIR));
    expect(result.get('open.file_o_directory')).toBe(e(Errno.NOTDIR));
    expect(result.get('open.dir_wronly')).toBe(e(Errno.ISDIR));
    expect(result.get('open.dir_rdwr')).toBe(e(Errno.ISDIR));
    expect(result.get('open.dir_trunc')).toBe(e(Errno.ISDIR));
    expect(result.get('open.dir_creat')).toBe(e(Errno.ISDIR));
    expect(result.get('open.creat_directory')).toBe(e(Errno.INVAL));
    expect(result.get('open.trunc_readonly')).toBe(e(Errno.ACCES));
    expect(result.get('open.empty')).toBe(e(Errno.NOENT));
    expect(result.get('open.nul')).toBe(e(Errno.INVAL));
    expect(result.get('open.bad_utf8')).toBe(e(Errno.INVAL));
    expect(result.get('open.path_fault')).toBe(e(Errno.FAULT));
    expect(result.get('open.out_fault')).toBe(e(Errno.FAULT));
    expect(result.get('open.base_is_file')).toBe(e(Errno.NOTDIR));
    expect(result.get('open.base_closed')).toBe(e(Errno.BADF));
    expect(fileText(result.fs, '/data/in.txt')).toBe('hello world');
    expect(result.fs.lookup('/tmp/cd')).toBeUndefined();
    expect(result.fs.lookup('/tmp/newdir')).toBeUndefined();
  });

  it('creates and removes directories, unlinks files', () => {
    expect(result.get('mkdir')).toBe('0');
    expect(result.get('mkdir.exists')).toBe(e(Errno.EXIST));
    expect(result.get('mkdir.file_exists')).toBe(e(Errno.EXIST));
    expect(result.get('mkdir.root')).toBe(e(Errno.EXIST));
    expect(result.get('mkdir.missing_parent')).toBe(e(Errno.NOENT));
    expect(result.get('mkdir.file_as_parent')).toBe(e(Errno.NOTDIR));
    expect(result.get('mkdir.trailing_slash')).toBe('0');
    expect(result.get('rmdir.not_empty')).toBe(e(Errno.NOTEMPTY));
    expect(result.get('rmdir.file')).toBe(e(Errno.NOTDIR));
    expect(result.get('rmdir.missing')).toBe(e(Errno.NOENT));
    expect(result.get('rmdir')).toBe('0');
    expect(result.get('rmdir.again')).toBe(e(Errno.NOENT));
    expect(result.get('unlink.dir')).toBe(e(Errno.ISDIR));
    expect(result.get('unlink')).toBe('0');
    expect(result.get('unlink.again')).toBe(e(Errno.NOENT));
    expect(result.get('unlink.trailing_slash')).toBe(e(Errno.NOTDIR));
    expect(result.get('unlink_file.dir')).toBe(e(Errno.ISDIR));
    expect(result.get('rmdir.now_empty')).toBe('0');
    expect(result.fs.lookup('/tmp/d')).toBeUndefined();
    expect(result.fs.lookup('/tmp/new')?.kind).toBe('file');
  });

  it('renames with POSIX semantics', () => {
    expect(result.get('rename')).toBe('0');
    expect(result.get('rename.source_gone')).toBe(e(Errno.NOENT));
    expect(result.get('rename.target')).toBe('two');
    expect(result.get('rename.replace')).toBe('0');
    expect(result.get('rename.replaced')).toBe('two');
    expect(result.get('rename.missing')).toBe(e(Errno.NOENT));
    expect(result.get('rename.dir_over_nonempty')).toBe(e(Errno.NOTEMPTY));
    expect(result.get('rename.file_over_dir')).toBe(e(Errno.ISDIR));
    expect(result.get('rename.dir_over_file')).toBe(e(Errno.NOTDIR));
    expect(result.get('rename.dir_into_itself')).toBe(e(Errno.INVAL));
    expect(result.get('rename.dir')).toBe('0');
    expect(result.get('rename.dir.moved')).toBe('0');
    expect(result.get('rename.dir_over_empty')).toBe('0');
    expect(result.get('rename.file_trailing_slash')).toBe(e(Errno.NOTDIR));
    expect(result.fs.lookup('/tmp/da/f')?.kind).toBe('file');
  });

  it('reports and sets file stats by path', () => {
    expect(result.get('stat.file')).toBe('0:11:1');
    expect(result.get('stat.dir')).toBe('0:1');
    expect(result.get('stat.root')).toBe('0:1');
    expect(result.get('stat.device')).toBe('0:1');
    expect(result.get('stat.missing')).toBe(e(Errno.NOENT));
    expect(result.get('stat.missing_parent')).toBe(e(Errno.NOENT));
    expect(result.get('stat.file_as_parent')).toBe(e(Errno.NOTDIR));
    expect(result.get('path_filestat.fault')).toBe(e(Errno.FAULT));
    expect(result.get('utimensat')).toBe('0');
    expect(result.get('utimensat.atim')).toBe('3000.1');
    expect(result.get('utimensat.mtim')).toBe('4000.2');
    expect(result.get('utimensat.missing')).toBe(e(Errno.NOENT));
    expect(result.get('path_set_times.both')).toBe(e(Errno.INVAL));
    expect(result.get('path_filestat.relative')).toBe('0:11');
  });

  it('has no links: symlink and link are refused, readlink finds none', () => {
    expect(result.get('symlink')).toBe(e(Errno.NOTSUP));
    expect(result.get('link')).toBe(e(Errno.NOTSUP));
    expect(result.get('link.bad_base')).toBe(e(Errno.BADF));
    expect(result.get('symlink.bad_base')).toBe(e(Errno.BADF));
    expect(result.get('readlink.file')).toBe(e(Errno.INVAL));
    expect(result.get('readlink.missing')).toBe(e(Errno.NOENT));
    expect(result.fs.lookup('/tmp/link')).toBeUndefined();
    expect(result.fs.lookup('/tmp/hard')).toBeUndefined();
  });

  it('keeps `..` and absolute paths inside the virtual root', () => {
    expect(result.get('escape.creat')).toBe('0');
    expect(fileText(result.fs, '/escape.txt')).toBe('inside');
    expect(result.get('escape.read')).toBe(e(Errno.NOENT));
    expect(result.get('escape.direct')).toBe(e(Errno.NOENT));
    expect(result.get('escape.from_subdir')).toBe('0');
    expect(result.get('escape.absolute_from_subdir')).toBe('0');
    expect(result.fs.lookup('/tmp/abs.txt')?.kind).toBe('file');
    expect(result.get('escape.mkdir')).toBe('0');
    expect(result.fs.lookup('/up')?.kind).toBe('dir');
    expect(result.get('escape.rename')).toBe('0');
    expect(result.fs.lookup('/moved.txt')?.kind).toBe('file');
    expect(result.fs.lookup('/escape2.txt')).toBeUndefined();
    expect([...result.fs.root.entries.keys()].sort()).toEqual(['data', 'dev', 'escape.txt', 'moved.txt', 'tmp', 'up']);
  });

  it('resolves paths from a directory descriptor where the directory is now', () => {
    expect(result.get('dirfd.after_rename')).toBe('0');
    expect(result.get('dirfd.after_rename.where')).toBe('0');
    expect(result.get('dirfd.after_rmdir')).toBe(e(Errno.NOENT));
    expect(result.fs.lookup('/tmp/m')).toBeUndefined();
  });
});

describe('directory listings', () => {
  it('lists entries with their types, resuming from cookies', () => {
    const result = run('readdir');
    expect(result.get('opendir')).toBe('0');
    expect(result.get('listing')).toBe(`..:${FileType.DIRECTORY} .:${FileType.DIRECTORY} a:${FileType.REGULAR_FILE} b:${FileType.REGULAR_FILE} c:${FileType.DIRECTORY} `);
    // Each 30-byte read holds one 25-byte record and the start of the next, which is read again.
    expect(result.get('readdir.small_buffer')).toBe('.+ ..+ a+ b+ c ');
    expect(result.get('readdir.past_end')).toBe('0:0');
    expect(result.get('readdir.fault')).toBe(e(Errno.FAULT));
    expect(result.get('readdir.file')).toBe(e(Errno.NOTDIR));
    expect(result.get('readdir.closed')).toBe(e(Errno.BADF));
    expect(result.get('opendir.file')).toBe(e(Errno.NOTDIR));
    expect(result.get('opendir.missing')).toBe(e(Errno.NOENT));
    expect(result.get('many.seen')).toBe('300');
    expect(result.get('many.sum')).toBe(String((299 * 300) / 2));
  });
});

describe('polling', () => {
  it('sleeps through the clock for clock subscriptions, and not at all when a descriptor is ready', () => {
    const result = run('poll');
    expect(result.get('nanosleep')).toBe('0');
    expect(result.get('clock_nanosleep.abs_monotonic')).toBe('0');
    expect(result.get('clock_nanosleep.abs_realtime')).toBe('0');
    expect(result.get('clock_nanosleep.past')).toBe('0');
    expect(result.get('usleep')).toBe('0');
    expect(result.get('poll.two_clocks')).toBe('0');
    // Only the earlier of two clocks fires.
    expect(result.get('poll.two_clocks.events')).toBe(`1:22:0:${0}`);
    expect(result.get('poll.fds')).toBe('0');
    expect(result.get('poll.fds.count')).toBe('2');
    expect(result.get('poll.fds.read')).toBe('2:0:1:7');
    expect(result.get('poll.fds.write')).toBe('3:0:2');
    expect(result.get('poll.closed_fd.event')).toBe(`1:4:${Errno.BADF}`);
    expect(result.get('poll.bad_clock.event')).toBe(`1:5:${Errno.INVAL}`);
    expect(result.get('poll.none')).toBe(e(Errno.INVAL));
    expect(result.get('poll.fault')).toBe(e(Errno.FAULT));
    expect(result.get('poll')).toBe('2');
    expect(result.get('poll.revents')).toBe('1,2');
    expect(result.get('p1.poll')).toBe('0');
    expect(result.get('p1.poll.event')).toBe('1:77:0');
    expect(result.get('sched_yield')).toBe('0');
    expect(result.get('wasi_sched_yield')).toBe('0');
    // Every sleep, exactly, in order (the marks are printed between the probes).
    const sleeps = result.lines.filter((line) => line.startsWith('sleep=') || line.startsWith('mark='));
    expect(sleeps).toEqual([
      'sleep=1500000',
      'mark=after-nanosleep',
      'sleep=2000000',
      'mark=after-abs-monotonic',
      'sleep=3000000',
      'mark=after-abs-realtime',
      'mark=after-past',
      'sleep=250000',
      'mark=after-usleep',
      'sleep=1000000',
      'mark=after-two-clocks',
      'mark=after-fds',
      'mark=after-poll',
      'sleep=4000000',
      'mark=after-p1',
    ]);
  });
});

describe('preview1 layouts', () => {
  it('serves file stats and seeks in each namespace’s own layout and numbering', () => {
    const result = run('preview1');
    expect(result.get('p1.fd_filestat')).toBe('0');
    expect(result.get('p1.fd_filestat.fields')).toBe(`${FileType.REGULAR_FILE}:1:11`);
    expect(result.get('p1.path_filestat')).toBe('0');
    expect(result.get('p1.path_filestat.fields')).toBe(`${FileType.REGULAR_FILE}:1:11`);
    expect(result.get('unstable.fd_filestat.fields')).toBe(`${FileType.REGULAR_FILE}:1:11`);
    expect(result.get('p1.seek.end')).toBe('0:9');
    expect(result.get('p1.seek.set')).toBe('0:3');
    expect(result.get('p1.seek.cur')).toBe('0:5');
    expect(result.get('p1.seek.bad_whence')).toBe(e(Errno.INVAL));
    expect(result.get('unstable.seek.set')).toBe('0:4');
    expect(result.get('unstable.seek.cur')).toBe('0:5');
    expect(result.get('unstable.seek.end')).toBe('0:11');
    expect(result.get('unstable.seek.bad_whence')).toBe(e(Errno.INVAL));
    expect(result.lines).toContain('p1-write');
    expect(result.get('p1.fd_write')).toBe('0:9');
  });
});

describe('standard streams', () => {
  it('reads and writes devices byte-exactly, and faults on bad pointers before any side effect', () => {
    const result = run('stdio', { stdin: [Uint8Array.of(0x61, 0x62), Uint8Array.of(0x00, 0xff, 0x10), new Uint8Array(20).fill(0x41)] });
    expect(result.get('stdin.chunks')).toBe(`2:6162 3:00ff10 16:${'41'.repeat(16)} 4:41414141 `);
    expect(result.get('stdin.end')).toBe('0');
    expect(result.get('read.stdout')).toBe(e(Errno.BADF));
    expect(result.get('write.stdin')).toBe(e(Errno.BADF));
    expect(result.get('fd_write.fault')).toBe(e(Errno.FAULT));
    expect(result.get('fd_write.iovec_fault')).toBe(e(Errno.FAULT));
    expect(result.get('fd_write.count_fault')).toBe(e(Errno.FAULT));
    expect(result.get('stderr.binary')).toBe('5');
    // Nothing reached stderr from the faulting writes; the binary bytes arrived as they were.
    expect([...result.stderr]).toEqual([0x00, 0xff, 0xc3, 0x28, 0x0a]);
  });
});

describe('exit', () => {
  it('unwinds with the exit code after atexit handlers; signals and sockets are not available', () => {
    const result = run('exit');
    expect(result.exitCode).toBe(42);
    expect(result.get('proc_raise')).toBe(e(Errno.NOSYS));
    expect(result.get('sock_recv')).toBe(e(Errno.NOSYS));
    expect(result.get('sock_send')).toBe(e(Errno.NOSYS));
    expect(result.get('sock_shutdown')).toBe(e(Errno.NOSYS));
    expect(result.lines.slice(-2)).toEqual(['before=exit', 'atexit=ran']);
  });
});

describe('the import table', () => {
  it('serves every WASI import of every bundled runtime, in the namespace it uses', async () => {
    const langs = runtimeBinariesDir();
    const fs = new VirtualFS();
    const device = fs.addDevice('/dev/null', {});
    const imports = new SandboxWASI({ args: [], env: {}, fs, stdio: [device, device, device], clock: virtualClock(() => {}) }).sandboxImports();
    const binaries = readdirSync(langs).filter((name) => name.endsWith('.wasm'));
    expect(binaries.length).toBeGreaterThanOrEqual(6);
    const missing: string[] = [];
    for (const name of binaries) {
      const module = await WebAssembly.compile(readFileSync(join(langs, name)));
      for (const entry of WebAssembly.Module.imports(module)) {
        const namespace = imports[entry.module as keyof typeof imports];
        if (namespace && typeof namespace[entry.name] !== 'function') missing.push(`${name}: ${entry.module}.${entry.name}`);
        if (!namespace && entry.module.startsWith('wasi')) missing.push(`${name}: ${entry.module}`);
      }
    }
    expect(missing).toEqual([]);
  });
});
