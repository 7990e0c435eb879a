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
import { c } from '../../src/languages/c/index.js';
import { compilerFlags } from '../../src/languages/native/compile-pipeline.js';
import { JobRunner } from '../../src/runtime/job-runner.js';
import { runtimeBinariesDir } from '../../src/runtime/package-paths.js';
import { ToolRunner } from '../../src/runtime/tool-runner.js';
import { VirtualFS } from '../../src/runtime/vfs/virtual-fs.js';
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
    const tools = new ToolRunner(new JobRunner(pool));
    const { clang, 'wasm-ld': linker } = c.runtimes[0].binaries;
    const compile = await tools.runTool(
      {
        runtime: 'clang',
        argv: ['clang', ...compilerFlags('c'), '-o', '/build/syscalls.o', '/build/syscalls.c'],
        cwd: '/build',
        files: [{ path: '/build/syscalls.c', data: encoder.encode(SOURCE) }],
      },
      clang,
    );
    const object = compile.files.get('/build/syscalls.o');
    if (compile.exitCode !== 0 || !object) throw new Error(`clang failed: ${compile.failure ?? ''}\n${compile.stderr}`);
    // Imports wasm-ld may leave undefined: the preview1 functions the program declares, and the two
    // wasi_unstable functions its C library never calls (so libc.imports does not list them).
    const imports = [...SOURCE.matchAll(/^int (p1_\w+)\(/gm)].map((match) => match[1]).concat('__wasi_fd_fdstat_set_rights', '__wasi_proc_raise');
    const link = await tools.runTool(
      {
        runtime: 'wasm-ld',
        argv: [
          'wasm-ld',
          '--no-threads',
          '-L/sys/lib/wasm32-wasi',
          '/sys/lib/wasm32-wasi/crt1.o',
          '/build/syscalls.o',
          '-lc',
          BUILTINS,
          '--allow-undefined-file=/build/extra.imports',
          '-o',
          '/build/syscalls.wasm',
        ],
        cwd: '/build',
        files: [
          { path: '/build/syscalls.o', data: object },
          { path: '/build/extra.imports', data: encoder.encode(imports.join('\n')) },
        ],
      },
      linker,
    );
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
  return { exitCode, lines, values, stderr: Buffer.concat(stderr), fs };
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

/** Checks the values the program printed for the keys of `expected` (all at once, so a diff shows every mismatch). */
function expectPrinted(result: Run, expected: Record<string, string>): void {
  const printed = Object.fromEntries(Object.keys(expected).map((key) => [key, result.values.get(key) ?? '<not printed>']));
  expect(printed).toEqual(expected);
}

/** `0`, or an errno as the program prints it. */
const e = (errno: number): string => String(errno);

const fileText = (fs: VirtualFS, path: string): string | undefined => {
  const node = fs.lookup(path);
  return node?.kind === 'file' ? decoder.decode(node.data.subarray(0, node.size)) : undefined;
};

describe('arguments and environment', () => {
  it('hands over every argument and variable as UTF-8, and faults on bad pointers', () => {
    const result = run('args', { args: ['héllo wörld', ''], env: { A: '1', UTF: 'ü€', EMPTY: '' } });
    expect(result.exitCode).toBe(0);
    expectPrinted(result, {
      argc: '4',
      argv0: '[syscalls]',
      argv1: '[args]',
      argv2: '[héllo wörld]',
      argv3: '[]',
      'env.A': '[1]',
      'env.UTF': '[ü€]',
      'env.EMPTY': '[]',
      'env.MISSING': 'unset',
      args_sizes_get: '0',
      'args.count': '4',
      'args.bytes': String(Buffer.byteLength('syscalls\0args\0héllo wörld\0\0')),
      'environ.count': '3',
      'environ.bytes': String(Buffer.byteLength('A=1\0UTF=ü€\0EMPTY=\0')),
      'args_get.fault': e(Errno.FAULT),
      'environ_sizes_get.fault': e(Errno.FAULT),
    });
  });
});

describe('clocks and randomness', () => {
  it('reads the realtime, monotonic and CPU-time clocks and their resolution', () => {
    const result = run('clocks');
    expectPrinted(result, {
      'realtime.err': '0',
      realtime: String(REALTIME_START),
      monotonic: String(MONOTONIC_START),
      time: String(REALTIME_START / 1_000_000_000n),
      'realtime.res': '1000',
      'monotonic.res': '1000',
      // CPU time counts from the start of the program; this clock has not moved since.
      'process.err': '0',
      process: '0',
      'thread.err': '0',
      'time_get.bad_clock': e(Errno.INVAL),
      'res_get.bad_clock': e(Errno.INVAL),
      'time_get.fault': e(Errno.FAULT),
    });
  });

  it('fills any length with the clock source’s random bytes', () => {
    const result = run('random');
    let hash = 0n;
    for (let i = 0; i < 100_000; i++) hash = (hash * 31n + BigInt(randomByte(i))) & 0xffff_ffff_ffff_ffffn;
    expectPrinted(result, {
      random_get: '0',
      'random.first': `${randomByte(0)},${randomByte(1)},${randomByte(2)}`,
      'random.hash': String(hash),
      getentropy: '0',
      'getentropy.first': String(randomByte(100_000)),
      'random_get.empty': '0',
      'random_get.fault': e(Errno.FAULT),
    });
  });
});

describe('descriptors on files', () => {
  let result: Run;
  beforeAll(() => {
    result = run('files');
  });

  it('reads, seeks and tells', () => {
    expectPrinted(result, {
      'open.ro': '0',
      read: '5:hello',
      'lseek.cur': '5',
      'tell.err': '0',
      tell: '5',
      pread: '5:world',
      'tell.after_pread': '5',
      'lseek.end': '11',
      'lseek.negative': e(Errno.INVAL),
      'read.eof': '0',
      'lseek.past_end': '20',
      'read.past_end': '0',
      readv: '5:hello',
    });
  });

  it('writes, writes at offsets, truncates, grows and allocates', () => {
    expectPrinted(result, {
      'open.rw': '0',
      write: '6',
      pwrite: '2',
      'tell.after_pwrite': '6',
      writev: '5',
      'content.written': 'aXYdef12345',
      fsync: '0',
      fdatasync: '0',
      'ftruncate.shrink': '0',
      'size.shrunk': '3',
      'content.shrunk': 'aXY',
      'ftruncate.grow': '0',
      'pread.grown': '6:0,0,0',
      posix_fallocate: '0',
      'size.allocated': '20',
      'posix_fallocate.within': '0',
      'size.within': '20',
      posix_fadvise: '0',
      'fd_advise.bad': e(Errno.INVAL),
      'fd_advise.closed': e(Errno.BADF),
    });
  });

  it('reports and sets descriptor flags, rights and file stats', () => {
    expectPrinted(result, {
      'fdstat.type': String(FileType.REGULAR_FILE),
      'fdstat.read': '1',
      'fdstat.write': '0',
      futimens: '0',
      'stat.atim': '1000.5',
      'stat.mtim': '2000.7',
      'set_times.both': e(Errno.INVAL),
      'set_times.now': '0',
      'stat.mtim.now': `${REALTIME_START / 1_000_000_000n}.${REALTIME_START % 1_000_000_000n}`,
      'filestat.type': String(FileType.REGULAR_FILE),
      'filestat.nlink': '1',
      'filestat.size': '20',
      'fcntl.setfl': '0',
      'fcntl.getfl.append': '1',
      'append.size': '21',
      'append.last': 'Z',
      'o_append.size': '22',
      'set_rights.drop': '0',
      'write.dropped': e(Errno.BADF),
      'read.kept': '1',
      'set_rights.regain': e(Errno.NOTCAPABLE),
      'set_rights.closed': e(Errno.BADF),
    });
  });

  it('closes and renumbers descriptors, and runs out of them at 1024', () => {
    expectPrinted(result, {
      close: '0',
      'close.again': e(Errno.BADF),
      'read.closed': e(Errno.BADF),
      renumber: '0',
      'renumber.read': '5:hello',
      'renumber.from_closed': e(Errno.BADF),
      'renumber.to_unopened': e(Errno.BADF),
      'renumber.from_unopened': e(Errno.BADF),
      'renumber.same': '0',
      'emfile.opened': '1020',
      'emfile.errno': e(Errno.MFILE),
    });
  });

  it('refuses file operations on directories, streams and read-only descriptors', () => {
    expectPrinted(result, {
      'write.readonly': e(Errno.BADF),
      'ftruncate.readonly': e(Errno.BADF),
      'fd_allocate.readonly': e(Errno.BADF),
      'read.dir': e(Errno.ISDIR),
      'write.dir': e(Errno.ISDIR),
      'pread.dir': e(Errno.ISDIR),
      'ftruncate.dir': e(Errno.ISDIR),
      'fdstat.dir.type': String(FileType.DIRECTORY),
      'fsync.dir': '0',
      'lseek.stdout': e(Errno.SPIPE),
      'pwrite.stdout': e(Errno.SPIPE),
      'pread.stdin': e(Errno.SPIPE),
      'tell.stdout': e(Errno.SPIPE),
      'ftruncate.stdout': e(Errno.INVAL),
      'fdstat.stdout.type': String(FileType.CHARACTER_DEVICE),
      'fdstat.stdout.seek': '0',
      'filestat.stdout.type': String(FileType.CHARACTER_DEVICE),
      'fd_sync.closed': e(Errno.BADF),
      'fd_datasync.closed': e(Errno.BADF),
    });
  });

  it('leaves the files as the program wrote them', () => {
    expect(fileText(result.fs, '/tmp/out.txt')).toBe(`aXY${'\0'.repeat(17)}Z!`);
  });
});

describe('the preopened root', () => {
  it('is descriptor 3, named "/", wherever it is renumbered', () => {
    const result = run('prestat');
    expectPrinted(result, {
      'prestat.err': '0',
      'prestat.type': '0',
      'prestat.len': '1',
      'dir_name.err': '0',
      dir_name: '/',
      'dir_name.short': e(Errno.NAMETOOLONG),
      'prestat.stdout': e(Errno.BADF),
      'prestat.unopened': e(Errno.BADF),
      'prestat.opened_dir': e(Errno.BADF),
      'prestat.fault': e(Errno.FAULT),
      'renumber.root': '0',
      'prestat.renumbered': '0',
      'open.via_renumbered_root': '0',
      'close.root': '0',
      'open.without_root': e(Errno.BADF),
    });
  });
});

describe('paths', () => {
  let result: Run;
  beforeAll(() => {
    result = run('paths');
  });

  it('opens with creat, excl, trunc and directory, and with the rights asked for', () => {
    expectPrinted(result, {
      'creat.excl': '0',
      'creat.excl.exists': e(Errno.EXIST),
      'open.creat.exists': '0',
      'open.dir_rdonly': '0',
      'open.dir_o_directory': '0',
      'open.trunc': '0',
      'trunc.size': '0',
      'open.read_only_rights': '0',
      'write.without_right': e(Errno.BADF),
      'open.write_only_rights': '0',
      'read.without_right': e(Errno.BADF),
    });
  });

  it('refuses opens with the errno POSIX gives', () => {
    expectPrinted(result, {
      'open.missing': e(Errno.NOENT),
      'open.missing_parent': e(Errno.NOENT),
      'open.file_as_parent': e(Errno.NOTDIR),
      'open.file_as_parent.creat': e(Errno.NOTDIR),
      'open.file_trailing_slash': e(Errno.NOTDIR),
      'open.creat_trailing_slash': e(Errno.ISDIR),
      'open.file_o_directory': e(Errno.NOTDIR),
      'open.dir_wronly': e(Errno.ISDIR),
      'open.dir_rdwr': e(Errno.ISDIR),
      'open.dir_trunc': e(Errno.ISDIR),
      'open.dir_creat': e(Errno.ISDIR),
      'open.creat_directory': e(Errno.INVAL),
      'open.trunc_readonly': e(Errno.ACCES),
      'open.empty': e(Errno.NOENT),
      'open.nul': e(Errno.INVAL),
      'open.bad_utf8': e(Errno.INVAL),
      'open.path_fault': e(Errno.FAULT),
      'open.out_fault': e(Errno.FAULT),
      'open.base_is_file': e(Errno.NOTDIR),
      'open.base_closed': e(Errno.BADF),
    });
    expect(fileText(result.fs, '/data/in.txt')).toBe('hello world');
    expect(result.fs.lookup('/tmp/cd')).toBeUndefined();
    expect(result.fs.lookup('/tmp/newdir')).toBeUndefined();
  });

  it('creates and removes directories, unlinks files', () => {
    expectPrinted(result, {
      mkdir: '0',
      'mkdir.exists': e(Errno.EXIST),
      'mkdir.file_exists': e(Errno.EXIST),
      'mkdir.root': e(Errno.EXIST),
      'mkdir.missing_parent': e(Errno.NOENT),
      'mkdir.file_as_parent': e(Errno.NOTDIR),
      'mkdir.trailing_slash': '0',
      'rmdir.not_empty': e(Errno.NOTEMPTY),
      'rmdir.file': e(Errno.NOTDIR),
      'rmdir.missing': e(Errno.NOENT),
      rmdir: '0',
      'rmdir.again': e(Errno.NOENT),
      'unlink.dir': e(Errno.ISDIR),
      unlink: '0',
      'unlink.again': e(Errno.NOENT),
      'unlink.trailing_slash': e(Errno.NOTDIR),
      'unlink_file.dir': e(Errno.ISDIR),
      'rmdir.now_empty': '0',
    });
    expect(result.fs.lookup('/tmp/d')).toBeUndefined();
    expect(result.fs.lookup('/tmp/new')?.kind).toBe('file');
  });

  it('renames with POSIX semantics', () => {
    expectPrinted(result, {
      rename: '0',
      'rename.source_gone': e(Errno.NOENT),
      'rename.target': 'two',
      'rename.replace': '0',
      'rename.replaced': 'two',
      'rename.missing': e(Errno.NOENT),
      'rename.dir_over_nonempty': e(Errno.NOTEMPTY),
      'rename.file_over_dir': e(Errno.ISDIR),
      'rename.dir_over_file': e(Errno.NOTDIR),
      'rename.dir_into_itself': e(Errno.INVAL),
      'rename.dir': '0',
      'rename.dir.moved': '0',
      'rename.dir_over_empty': '0',
      'rename.file_trailing_slash': e(Errno.NOTDIR),
    });
    expect(result.fs.lookup('/tmp/da/f')?.kind).toBe('file');
  });

  it('reports and sets file stats by path', () => {
    expectPrinted(result, {
      'stat.file': '0:11:1',
      'stat.dir': '0:1',
      'stat.root': '0:1',
      'stat.device': '0:1',
      'stat.missing': e(Errno.NOENT),
      'stat.missing_parent': e(Errno.NOENT),
      'stat.file_as_parent': e(Errno.NOTDIR),
      'path_filestat.fault': e(Errno.FAULT),
      utimensat: '0',
      'utimensat.atim': '3000.1',
      'utimensat.mtim': '4000.2',
      'utimensat.missing': e(Errno.NOENT),
      'path_set_times.both': e(Errno.INVAL),
      'path_filestat.relative': '0:11',
    });
  });

  it('has no links: symlink and link are refused, readlink finds none', () => {
    expectPrinted(result, {
      symlink: e(Errno.NOTSUP),
      link: e(Errno.NOTSUP),
      'link.bad_base': e(Errno.BADF),
      'symlink.bad_base': e(Errno.BADF),
      'readlink.file': e(Errno.INVAL),
      'readlink.missing': e(Errno.NOENT),
    });
    expect(result.fs.lookup('/tmp/link')).toBeUndefined();
    expect(result.fs.lookup('/tmp/hard')).toBeUndefined();
  });

  it('keeps `..` and absolute paths inside the virtual root', () => {
    expectPrinted(result, {
      'escape.creat': '0',
      'escape.read': e(Errno.NOENT),
      'escape.direct': e(Errno.NOENT),
      'escape.from_subdir': '0',
      'escape.absolute_from_subdir': '0',
      'escape.mkdir': '0',
      'escape.rename': '0',
    });
    expect(fileText(result.fs, '/escape.txt')).toBe('inside');
    expect(result.fs.lookup('/tmp/abs.txt')?.kind).toBe('file');
    expect(result.fs.lookup('/up')?.kind).toBe('dir');
    expect(result.fs.lookup('/moved.txt')?.kind).toBe('file');
    expect(result.fs.lookup('/escape2.txt')).toBeUndefined();
    expect([...result.fs.root.entries.keys()].sort()).toEqual(['data', 'dev', 'escape.txt', 'moved.txt', 'tmp', 'up']);
  });

  it('resolves paths from a directory descriptor where the directory is now', () => {
    expectPrinted(result, {
      'dirfd.after_rename': '0',
      'dirfd.after_rename.where': '0',
      'dirfd.after_rmdir': e(Errno.NOENT),
    });
    expect(result.fs.lookup('/tmp/m')).toBeUndefined();
  });
});

describe('directory listings', () => {
  it('lists entries with their types, resuming from cookies', () => {
    const result = run('readdir');
    expectPrinted(result, {
      opendir: '0',
      listing: `..:${FileType.DIRECTORY} .:${FileType.DIRECTORY} a:${FileType.REGULAR_FILE} b:${FileType.REGULAR_FILE} c:${FileType.DIRECTORY} `,
      // Each 30-byte read holds one 25-byte record and the start of the next, which is read again.
      'readdir.small_buffer': '.+ ..+ a+ b+ c ',
      'readdir.past_end': '0:0',
      'readdir.fault': e(Errno.FAULT),
      'readdir.file': e(Errno.NOTDIR),
      'readdir.closed': e(Errno.BADF),
      'opendir.file': e(Errno.NOTDIR),
      'opendir.missing': e(Errno.NOENT),
      'many.seen': '300',
      'many.sum': String((299 * 300) / 2),
    });
  });
});

describe('polling', () => {
  it('sleeps through the clock for clock subscriptions, and not at all when a descriptor is ready', () => {
    const result = run('poll');
    expectPrinted(result, {
      nanosleep: '0',
      'clock_nanosleep.abs_monotonic': '0',
      'clock_nanosleep.abs_realtime': '0',
      'clock_nanosleep.past': '0',
      usleep: '0',
      'poll.two_clocks': '0',
      // Only the earlier of two clocks fires.
      'poll.two_clocks.events': '1:22:0:0',
      'poll.fds': '0',
      'poll.fds.count': '2',
      'poll.fds.read': '2:0:1:7',
      'poll.fds.write': '3:0:2',
      'poll.closed_fd.event': `1:4:${Errno.BADF}`,
      'poll.bad_clock.event': `1:5:${Errno.INVAL}`,
      'poll.none': e(Errno.INVAL),
      'poll.fault': e(Errno.FAULT),
      poll: '2',
      'poll.revents': '1,2',
      'p1.poll': '0',
      'p1.poll.event': '1:77:0',
      sched_yield: '0',
      wasi_sched_yield: '0',
    });
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
    expectPrinted(result, {
      'p1.fd_filestat': '0',
      'p1.fd_filestat.fields': `${FileType.REGULAR_FILE}:1:11`,
      'p1.path_filestat': '0',
      'p1.path_filestat.fields': `${FileType.REGULAR_FILE}:1:11`,
      'unstable.fd_filestat.fields': `${FileType.REGULAR_FILE}:1:11`,
      'p1.seek.end': '0:9',
      'p1.seek.set': '0:3',
      'p1.seek.cur': '0:5',
      'p1.seek.bad_whence': e(Errno.INVAL),
      'unstable.seek.set': '0:4',
      'unstable.seek.cur': '0:5',
      'unstable.seek.end': '0:11',
      'unstable.seek.bad_whence': e(Errno.INVAL),
      'p1.fd_write': '0:9',
    });
    expect(result.lines).toContain('p1-write');
  });
});

describe('standard streams', () => {
  it('reads and writes devices byte-exactly, and faults on bad pointers before any side effect', () => {
    const result = run('stdio', { stdin: [Uint8Array.of(0x61, 0x62), Uint8Array.of(0x00, 0xff, 0x10), new Uint8Array(20).fill(0x41)] });
    expectPrinted(result, {
      'stdin.chunks': `2:6162 3:00ff10 16:${'41'.repeat(16)} 4:41414141 `,
      'stdin.end': '0',
      'read.stdout': e(Errno.BADF),
      'write.stdin': e(Errno.BADF),
      'fd_write.fault': e(Errno.FAULT),
      'fd_write.iovec_fault': e(Errno.FAULT),
      'fd_write.count_fault': e(Errno.FAULT),
      'stderr.binary': '5',
    });
    // Nothing reached stderr from the faulting writes; the binary bytes arrived as they were.
    expect([...result.stderr]).toEqual([0x00, 0xff, 0xc3, 0x28, 0x0a]);
  });
});

describe('exit', () => {
  it('unwinds with the exit code after atexit handlers; signals and sockets are not available', () => {
    const result = run('exit');
    expect(result.exitCode).toBe(42);
    expectPrinted(result, {
      proc_raise: e(Errno.NOSYS),
      sock_recv: e(Errno.NOSYS),
      sock_send: e(Errno.NOSYS),
      sock_shutdown: e(Errno.NOSYS),
    });
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
