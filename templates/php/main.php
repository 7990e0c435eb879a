<?php
/*
 * Sandbox Executor: PHP proxy.
 *
 * Reads SIP frames (1 byte mode, 4 bytes big-endian length, JSON payload) from standard input, calls the
 * requested function of the user's file, and writes a result frame ("R", 4 bytes big-endian length, JSON)
 * to the result channel. User output goes to stdout/stderr untouched.
 *
 * Everything lives in this namespace, so no name of the proxy can clash with a function, class or
 * constant of the user's code. The user's file is required at global scope (in the loop at the bottom):
 * its top-level variables are real globals, as when PHP runs a script.
 *
 * Placeholders, filled by the generator: {{USER_CODE_PATH}}, {{USER_FILENAME}}, and the proxy contract of
 * src/protocol/proxy-contract.ts (devices, frame bytes, wire tags, limits).
 */

namespace SandboxExecutor\Proxy;

/** The return value (or a part of it) has no wire form. */
final class SerializationError extends \Exception
{
    /** Where the value is inside the return value (`['k'][0]`), built on the way out of the conversion. */
    public string $path = '';

    /** @param string $problem what is wrong, completed with the path by {@see describe()} */
    public function __construct(private string $problem)
    {
        parent::__construct($problem);
    }

    public function describe(): string
    {
        return \str_replace('%at', $this->path === '' ? '' : ' at result' . $this->path, $this->problem);
    }
}

/** A failure of the proxy itself, not of the user's code. */
final class ProxyError extends \Exception
{
}

final class Proxy
{
    const USER_CODE_PATH = '{{USER_CODE_PATH}}';
    const USER_FILENAME = '{{USER_FILENAME}}';
    /** Each snippet of a context is written to a file of its own (snippet_N.php), included at global scope. */
    const SNIPPET_PREFIX = '{{SANDBOX_DIR}}/snippet_';
    const WORKDIR = '{{WORKDIR}}';
    const RESULT_DEVICE = '{{RESULT_DEVICE}}';
    const FRAME_HEADER_BYTES = {{FRAME_HEADER_BYTES}};
    const RESULT_MARK = '{{RESULT_MARK}}';
    const SIP_PERSISTENT = '{{SIP_PERSISTENT}}';
    const TAG_PREFIX = '{{WIRE_TAG_PREFIX}}';
    const TAG_BIGINT = '{{WIRE_BIGINT}}';
    const TAG_BYTES = '{{WIRE_BYTES}}';
    const TAG_FLOAT = '{{WIRE_FLOAT}}';
    const TAG_OBJECT = '{{WIRE_OBJECT}}';

    /**
     * Deepest nesting of a return value: the contract's, or less in this PHP build, which has a small C
     * stack: json_encode() and the destruction of arrays recurse in C, and trap at about 45 levels.
     * Deeper is refused with an error.
     */
    const MAX_DEPTH = {{WIRE_MAX_DEPTH}} < 40 ? {{WIRE_MAX_DEPTH}} : 40;
    /** JSON nesting PHP accepts: the proxy enforces its own limits. */
    const JSON_DEPTH = 0x7fffffff;
    const JSON_FLAGS = \JSON_UNESCAPED_SLASHES | \JSON_UNESCAPED_UNICODE;
    /** 2^53: integers up to this size are exact as floats, and as JavaScript numbers. */
    const SAFE_INTEGER = 9007199254740992.0;
    const FATAL_ERRORS = E_ERROR | E_PARSE | E_CORE_ERROR | E_COMPILE_ERROR | E_USER_ERROR | E_RECOVERABLE_ERROR;
    /** How PHP names the errors an error handler can see, in its log lines. */
    const ERROR_LABELS = [E_WARNING => 'Warning', E_NOTICE => 'Notice', E_USER_WARNING => 'Warning', E_USER_NOTICE => 'Notice', E_DEPRECATED => 'Deprecated', E_USER_DEPRECATED => 'Deprecated', E_STRICT => 'Strict Standards'];

    /** @var resource */
    private static $input;
    /** @var resource */
    private static $result;
    /** @var resource standard output, unbuffered (php-cgi's own output goes through C stdio buffers) */
    private static $stdout;
    /** Output buffering level of the proxy's own handler; levels above it are the user's. */
    private static int $outputLevel = 0;

    /**
     * 'idle' (waiting for a frame), 'loading' (requiring the user's file), 'calling', 'running' (a script
     * or a snippet, whose exit() ends the program with its status), 'done'.
     */
    public static string $state = 'idle';
    /** The interpreter's exit status: 1 once a script has ended with an uncaught error, as PHP's own. */
    public static int $exitStatus = 0;
    private static bool $processApplied = false;
    /** @var array{kind: string, code: string, snippet: int}|null the script or snippet of the last frame */
    private static ?array $run = null;
    public static bool $loaded = false;
    private static string $mode = '';
    /** Number of the call being served, echoed in its result frame (the host never takes it for another call's). */
    private static ?int $call = null;
    /** @var array{functionName: string, args: array, kwargs: array}|null */
    private static ?array $payload = null;
    /** @var array<string, string> functions found by {@see resolve()}, by requested name */
    private static array $functions = [];

    public static function start(): void
    {
        // The result channel only opens once: the proxy takes it before any user code runs.
        self::$result = \fopen(self::RESULT_DEVICE, 'wb');
        // Unbuffered, so that reading a frame never swallows the raw stdin that follows it.
        self::$input = \fopen('/dev/stdin', 'rb');
        \stream_set_read_buffer(self::$input, 0);
        // php-cgi defines no STDIN/STDOUT/STDERR, and php://stdin & co. cannot open under WASI.
        self::$stdout = \fopen('/dev/stdout', 'wb');
        if (!\defined('STDIN')) \define('STDIN', \fopen('/dev/stdin', 'rb'));
        if (!\defined('STDOUT')) \define('STDOUT', self::$stdout);
        if (!\defined('STDERR')) \define('STDERR', \fopen('/dev/stderr', 'wb'));
        \stream_wrapper_unregister('php');
        \stream_wrapper_register('php', PhpStreamWrapper::class);
        @\chdir(self::WORKDIR);
        \register_shutdown_function([self::class, 'shutdown']);
        \set_error_handler([self::class, 'onError']);
        // Every write of echo/print passes through this handler (chunk size 1), which writes it straight to
        // stdout: in order with fwrite(STDOUT), and never held in a buffer. A fatal error ends the
        // interpreter with a trap (no shutdown function runs), but PHP displays it first: the handler sees
        // the display and reports the error.
        \ob_start([self::class, 'onOutput'], 1);
        self::$outputLevel = \ob_get_level();
    }

    // --- SIP input ------------------------------------------------------------------------------

    /** Reads the next frame; false at the end of input. */
    public static function nextCall(): bool
    {
        $header = self::readExact(self::FRAME_HEADER_BYTES);
        if ($header === null) return false;
        self::$mode = $header[0];
        $length = \unpack('N', $header, 1)[1];
        $body = $length > 0 ? self::readExact($length) : '';
        self::$payload = null;
        self::$call = null;
        self::$state = 'calling';
        if ($body === null) {
            self::sendError('ProxyError', 'standard input ended inside a SIP frame');
            return false;
        }
        try {
            $payload = \json_decode($body, true, self::JSON_DEPTH, \JSON_THROW_ON_ERROR);
            if (\is_int($payload['call'] ?? null)) self::$call = $payload['call'];
            // Each argument is a wire value; the args list and the kwargs object themselves are not.
            $args = \array_values((array) ($payload['args'] ?? []));
            $kwargs = (array) ($payload['kwargs'] ?? []);
            if (\str_contains($body, '"' . self::TAG_PREFIX)) { // no tag can be there otherwise
                foreach ($args as $index => $value) $args[$index] = self::fromWire($value);
                foreach ($kwargs as $name => $value) $kwargs[$name] = self::fromWire($value);
            }
            self::$payload = ['functionName' => (string) ($payload['functionName'] ?? ''), 'args' => $args, 'kwargs' => $kwargs];
            $kind = $payload['kind'] ?? null;
            self::$run = $kind === 'script' || $kind === 'snippet' ? ['kind' => $kind, 'code' => (string) ($payload['code'] ?? ''), 'snippet' => (int) ($payload['snippet'] ?? 0)] : null;
            if (!self::$processApplied) self::applyProcess($payload);
        } catch (\Throwable $error) {
            self::sendError('ProxyError', 'the call request cannot be decoded: ' . $error->getMessage());
        }
        return true;
    }

    /** Gives the program the request's environment (in place of the proxy's own) and arguments, before any user code runs. */
    private static function applyProcess(array $payload): void
    {
        self::$processApplied = true;
        if (\is_array($payload['env'] ?? null)) {
            foreach (\array_keys(\getenv()) as $name) {
                \putenv((string) $name);
                unset($_SERVER[$name]);
            }
            $env = [];
            foreach ($payload['env'] as [$name, $value]) {
                \putenv($name . '=' . $value);
                $env[$name] = $value;
                $_SERVER[$name] = $value;
            }
            $_ENV = $env;
        }
        if (\is_array($payload['argv'] ?? null)) {
            $argv = \array_merge([self::USER_FILENAME], \array_map('strval', $payload['argv']));
            $GLOBALS['argv'] = $_SERVER['argv'] = $argv;
            $GLOBALS['argc'] = $_SERVER['argc'] = \count($argv);
        }
    }

    /** Whether the last frame runs code (a script or a snippet) rather than calling a function. */
    public static function runs(): bool
    {
        return self::$run !== null;
    }

    /**
     * The file to include at global scope for the last frame's script or snippet (a snippet is written to
     * a file of its own first). Its top-level variables are globals, which the next snippets see.
     */
    public static function runPath(): string
    {
        self::$state = 'running';
        if (self::$run['kind'] === 'script') return self::USER_CODE_PATH;
        $path = self::SNIPPET_PREFIX . self::$run['snippet'] . '.php';
        \file_put_contents($path, self::$run['code']);
        return $path;
    }

    /**
     * Sends what a script or snippet gave: the value of its top-level `return` (`include` gives 1 for a
     * file without one, which is no value). A value with no wire form is shown as print_r() shows it.
     */
    public static function sendRunValue(mixed $value, string $path): void
    {
        if ($value === null || !self::hasTopLevelReturn((string) \file_get_contents($path))) {
            self::write('{"ok":true,"value":null}');
            return;
        }
        try {
            $json = self::encodeValue($value);
        } catch (SerializationError) {
            $json = self::encodeValue(\print_r($value, true));
        }
        self::write('{"ok":true,"value":' . $json . '}');
    }

    /** Whether PHP code has a `return` outside every function, class and closure body. */
    private static function hasTopLevelReturn(string $code): bool
    {
        $depth = 0;
        $bodies = [];
        $pending = false;
        foreach (\token_get_all($code) as $token) {
            $id = \is_array($token) ? $token[0] : $token;
            if ($id === \T_FUNCTION || $id === \T_CLASS || $id === \T_TRAIT || $id === \T_INTERFACE || (\defined('T_ENUM') && $id === \T_ENUM)) {
                $pending = true;
            } elseif ($id === '{' || $id === \T_CURLY_OPEN || $id === \T_DOLLAR_OPEN_CURLY_BRACES) {
                $bodies[] = $pending;
                if ($pending) $depth++;
                $pending = false;
            } elseif ($id === '}') {
                if (\array_pop($bodies)) $depth--;
            } elseif ($id === ';') {
                $pending = false; // an abstract or interface method: no body
            } elseif ($id === \T_RETURN && $depth === 0) {
                return true;
            }
        }
        return false;
    }

    /** A script or snippet ended with an uncaught error: report it; a script's exit status is then 1. */
    public static function sendRunError(\Throwable $error): void
    {
        self::sendThrowable($error);
        if (self::$run['kind'] === 'script') self::$exitStatus = 1;
    }

    /** Whether the last frame held a call (otherwise its error is already sent). */
    public static function decoded(): bool
    {
        return self::$payload !== null;
    }

    public static function persistent(): bool
    {
        return self::$mode === self::SIP_PERSISTENT;
    }

    private static function readExact(int $count): ?string
    {
        $chunks = [];
        while ($count > 0) {
            $chunk = \fread(self::$input, \min($count, 1 << 20));
            if ($chunk === false || $chunk === '') return null;
            $chunks[] = $chunk;
            $count -= \strlen($chunk);
        }
        return \implode('', $chunks);
    }

    /** Decodes wire tags (see src/protocol/wire-value.ts), bottom-up. */
    private static function fromWire(mixed $value): mixed
    {
        if (!\is_array($value)) return $value;
        foreach ($value as $key => $item) {
            if (\is_array($item)) $value[$key] = self::fromWire($item);
        }
        if (\count($value) !== 1) return $value;
        $tag = \array_key_first($value);
        if (!\is_string($tag) || !\str_starts_with($tag, self::TAG_PREFIX)) return $value;
        $payload = $value[$tag];
        switch ($tag) {
            case self::TAG_BIGINT:
                return self::bigint((string) $payload);
            case self::TAG_BYTES:
                $bytes = \base64_decode((string) $payload, true);
                if ($bytes === false) throw new ProxyError('invalid base64 in $bytes');
                return $bytes;
            case self::TAG_FLOAT:
                switch ($payload) {
                    case 'nan': return \NAN;
                    case 'inf': return \INF;
                    case '-inf': return -\INF;
                    case '-0': return -0.0;
                }
                // A float whose integral value JSON would give as an integer.
                if (\is_string($payload) && \is_numeric($payload)) return (float) $payload;
                throw new ProxyError('unknown float payload');
            case self::TAG_OBJECT:
                $object = [];
                foreach ((array) $payload as $pair) $object[$pair[0]] = $pair[1];
                return $object;
        }
        throw new ProxyError('unknown wire tag ' . $tag);
    }

    /**
     * PHP integers are 32-bit here: a bigint becomes an int when it fits, a float when the float is exact
     * (up to 2^53), and its decimal digits as a string beyond that (there is no GMP or BCMath).
     */
    private static function bigint(string $digits): int|float|string
    {
        $int = \filter_var($digits, \FILTER_VALIDATE_INT);
        if ($int !== false) return $int;
        $float = (float) $digits;
        return \abs($float) <= self::SAFE_INTEGER ? $float : $digits;
    }

    // --- calling --------------------------------------------------------------------------------

    /** Calls the requested function and sends its result frame. */
    public static function serveCall(): void
    {
        $payload = self::$payload;
        try {
            $function = self::resolve($payload['functionName']);
            $value = $function(...$payload['args'], ...$payload['kwargs']);
        } catch (\Throwable $error) {
            self::sendThrowable($error);
            return;
        }
        try {
            $json = self::encodeValue($value);
        } catch (SerializationError $error) {
            self::sendError('SerializationError', $error->describe());
            return;
        }
        self::write('{"ok":true,"value":' . $json . '}');
    }

    /**
     * The user's function by its name: a function of the user's file, also when the file declares a
     * namespace (inference reports short names), or else a closure in a global variable of that name.
     */
    private static function resolve(string $name): callable
    {
        if (isset(self::$functions[$name])) return self::$functions[$name];
        $wanted = \strtolower($name);
        $found = null;
        foreach (\get_defined_functions()['user'] as $defined) {
            $short = ($at = \strrpos($defined, '\\')) === false ? $defined : \substr($defined, $at + 1);
            if ($defined !== $wanted && $short !== $wanted) continue;
            if (!self::isUserFile((string) (new \ReflectionFunction($defined))->getFileName())) continue;
            if ($defined === $wanted) return self::$functions[$name] = $defined;
            $found ??= $defined;
        }
        if ($found !== null) return self::$functions[$name] = $found;
        $closure = $GLOBALS[$name] ?? null;
        if ($closure instanceof \Closure) return $closure;
        throw new \Error('Call to undefined function ' . $name . '()');
    }

    // --- result output --------------------------------------------------------------------------

    /**
     * The JSON text of a return value in wire form (see src/protocol/wire-value.ts). Most values are plain
     * data that json_encode() writes as they are: lists as arrays, other arrays as objects, -0.0 as -0.
     * The full conversion runs for the rest: objects, strings that are not UTF-8, NAN and INF, keys that
     * look like wire tags, and what cannot be sent (with an error saying where it is).
     */
    private static function encodeValue(mixed $value): string
    {
        $precision = \ini_set('serialize_precision', '-1'); // shortest exact floats, whatever user code set
        try {
            if (!\is_object($value) && !(\is_array($value) && self::hasObjects($value, 0))) {
                $json = \json_encode($value, self::JSON_FLAGS, self::JSON_DEPTH);
                if ($json !== false && !\str_contains($json, '{"' . self::TAG_PREFIX)) return $json;
            }
            return \json_encode(self::toWire($value, 0, []), self::JSON_FLAGS | \JSON_THROW_ON_ERROR, self::JSON_DEPTH);
        } finally {
            if ($precision !== false && $precision !== '-1') \ini_set('serialize_precision', $precision);
        }
    }

    /** Whether an array holds objects (or is too deep to look through: the full conversion says so). */
    private static function hasObjects(array $array, int $depth): bool
    {
        if ($depth >= self::MAX_DEPTH) return true;
        foreach ($array as $item) {
            if (\is_array($item)) {
                if ($item !== [] && self::hasObjects($item, $depth + 1)) return true;
            } elseif (\is_object($item)) {
                return true;
            }
        }
        return false;
    }

    /**
     * The full conversion into wire data: lists become arrays, other arrays and objects become objects.
     *
     * @param array<int, true> $active ids of the objects being converted, to detect cycles
     */
    private static function toWire(mixed $value, int $depth, array $active): mixed
    {
        if ($value === null || \is_bool($value) || \is_int($value)) return $value;
        if (\is_float($value)) {
            if (\is_nan($value)) return [self::TAG_FLOAT => 'nan'];
            if (\is_infinite($value)) return [self::TAG_FLOAT => $value > 0 ? 'inf' : '-inf'];
            if ($value == 0.0 && \fdiv(1.0, $value) < 0) return [self::TAG_FLOAT => '-0'];
            return $value;
        }
        if (\is_string($value)) {
            return \preg_match('//u', $value) === 1 ? $value : [self::TAG_BYTES => \base64_encode($value)];
        }
        if ($depth >= self::MAX_DEPTH) {
            throw new SerializationError('return value is nested deeper than ' . self::MAX_DEPTH . ' levels, which this PHP build cannot encode (or is an array inside itself by reference)');
        }
        if (\is_array($value)) {
            if (!\array_is_list($value)) return self::entriesToWire($value, $depth, $active);
            $list = [];
            foreach ($value as $index => $item) {
                try {
                    $list[] = self::toWire($item, $depth + 1, $active);
                } catch (SerializationError $error) {
                    $error->path = '[' . $index . ']' . $error->path;
                    throw $error;
                }
            }
            return $list;
        }
        if (\is_object($value)) {
            $id = \spl_object_id($value);
            if (isset($active[$id])) throw new SerializationError('circular reference%at');
            $active[$id] = true;
            if ($value instanceof \JsonSerializable) return self::toWire($value->jsonSerialize(), $depth + 1, $active);
            if ($value instanceof \BackedEnum) return self::toWire($value->value, $depth + 1, $active);
            if ($value instanceof \DateTimeInterface) return $value->format(\DateTimeInterface::RFC3339_EXTENDED);
            if (!($value instanceof \Closure || $value instanceof \Generator || $value instanceof \UnitEnum)) {
                $entries = self::entriesToWire(\get_object_vars($value), $depth, $active);
                // Keys 0, 1, … (or none) would make an array of it.
                return \is_array($entries) && ($entries === [] || \array_is_list($entries)) ? (object) $entries : $entries;
            }
        }
        throw new SerializationError('return value of type \'' . \get_debug_type($value) . '\'%at is not serializable');
    }

    /** Converts the entries of a map; one key that starts with TAG_PREFIX is escaped as {"$object": [[key, value]]}. */
    private static function entriesToWire(array $entries, int $depth, array $active): array|object
    {
        $out = [];
        foreach ($entries as $key => $item) {
            try {
                $out[$key] = self::toWire($item, $depth + 1, $active);
            } catch (SerializationError $error) {
                $error->path = '[' . \var_export((string) $key, true) . ']' . $error->path;
                throw $error;
            }
        }
        if (\count($out) === 1) {
            $key = (string) \array_key_first($out);
            if (\str_starts_with((string) $key, self::TAG_PREFIX)) return [self::TAG_OBJECT => [[$key, $out[$key]]]];
        }
        return $out;
    }

    /** Writes a frame; $body is its JSON. */
    private static function write(string $body, bool $flush = true): void
    {
        // Output functions cannot be used inside an output handler, where fatal errors are reported.
        if ($flush) self::flushUserOutput();
        $body = '{"call":' . (self::$call ?? 'null') . ',' . \substr($body, 1);
        \fwrite(self::$result, self::RESULT_MARK . \pack('N', \strlen($body)) . $body);
        self::$state = 'done';
    }

    /** Writes an error frame. Invalid UTF-8 in a message is replaced, not fatal. */
    private static function sendError(string $type, string $message, string $traceback = '', int $line = 0, bool $flush = true): void
    {
        $error = ['type' => $type, 'message' => $message, 'traceback' => $traceback, 'line' => $line];
        self::write(\json_encode(['ok' => false, 'error' => $error], self::JSON_FLAGS | \JSON_INVALID_UTF8_SUBSTITUTE), $flush);
    }

    /** Passes the user's buffered output on (the proxy's own handler never holds any). */
    private static function flushUserOutput(): void
    {
        while (\ob_get_level() > self::$outputLevel) {
            if (!@\ob_end_flush()) break;
        }
        \flush();
    }

    // --- errors ---------------------------------------------------------------------------------

    public static function sendThrowable(\Throwable $error): void
    {
        $chain = [];
        for ($current = $error; $current !== null && \count($chain) < 16; $current = $current->getPrevious()) $chain[] = $current;
        // PHP prints the innermost previous exception first, then each "Next" one.
        $parts = [];
        foreach (\array_reverse($chain) as $item) $parts[] = self::describe($item);
        self::sendError(\get_class($error), self::clean($error->getMessage()), \implode("\n\nNext ", $parts), self::userLine($error));
    }

    /** "Type: message in user_code.php:4" and the stack of user frames, PHP style. */
    private static function describe(\Throwable $error): string
    {
        $text = \get_class($error) . ': ' . self::clean($error->getMessage());
        // An error raised by the call itself (an unknown named parameter) has no place in user code.
        if ($error->getFile() !== __FILE__) $text .= ' in ' . self::where($error->getFile(), $error->getLine());
        $frames = [];
        foreach ($error->getTrace() as $frame) {
            $file = $frame['file'] ?? null;
            if ($file === __FILE__) break; // the rest is the proxy's own call
            $function = isset($frame['class']) ? $frame['class'] . $frame['type'] . $frame['function'] : $frame['function'];
            $at = $file === null ? '[internal function]' : self::shortPath($file) . '(' . ($frame['line'] ?? 0) . ')';
            $frames[] = '#' . \count($frames) . ' ' . $at . ': ' . self::clean($function) . '()';
        }
        return $frames === [] ? $text : $text . "\nStack trace:\n" . \implode("\n", $frames);
    }

    /** The line in the user's file where the error happened (0 when it did not happen there). */
    private static function userLine(\Throwable $error): int
    {
        if (self::isUserFile($error->getFile())) return $error->getLine();
        foreach ($error->getTrace() as $frame) {
            if (self::isUserFile($frame['file'] ?? '')) return $frame['line'] ?? 0;
        }
        return 0;
    }

    /** Whether a file is the user's: the user's file, or a snippet of a context. */
    private static function isUserFile(string $file): bool
    {
        return $file === self::USER_CODE_PATH || \str_starts_with($file, self::SNIPPET_PREFIX);
    }

    private static function where(string $file, int $line): string
    {
        return self::shortPath($file) . ':' . $line;
    }

    private static function shortPath(string $file): string
    {
        if ($file === self::USER_CODE_PATH) return self::USER_FILENAME;
        return \str_starts_with($file, self::SNIPPET_PREFIX) ? \basename($file) : $file;
    }

    /**
     * Takes the proxy out of messages ("…, called in /sandbox/main.php on line 123", "1 passed in
     * /sandbox/main.php on line 123 and …") and shortens the user's path.
     */
    private static function clean(string $message): string
    {
        $message = \preg_replace('~,? (?:called )?in ' . \preg_quote(__FILE__, '~') . '(?: on line \d+)?~', '', $message) ?? $message;
        $message = \preg_replace('~' . \preg_quote(\dirname(self::SNIPPET_PREFIX) . '/', '~') . '(?=snippet_\d+\.php)~', '', $message) ?? $message;
        return \str_replace(self::USER_CODE_PATH, self::USER_FILENAME, $message);
    }

    /**
     * The proxy's output handler: user output goes to stdout. PHP displays errors (display_errors is on
     * only for this) as one write, "\nFatal error: … in … on line N\n": the display is dropped (the
     * log line on stderr already has it) and a fatal error is reported before PHP ends with a trap.
     */
    public static function onOutput(string $buffer, int $phase): string
    {
        if ($buffer !== '') {
            if ($buffer[0] === "\n" && self::isErrorDisplay($buffer)) {
                self::reportFatalError();
                return '';
            }
            \fwrite(self::$stdout, $buffer);
        }
        // Out of memory: PHP discards the output buffers (this handler last) before it displays the error.
        if ($phase & \PHP_OUTPUT_HANDLER_FINAL) self::reportFatalError();
        return '';
    }

    private static function isErrorDisplay(string $buffer): bool
    {
        $last = \error_get_last();
        return $last !== null && \str_ends_with($buffer, ': ' . $last['message'] . ' in ' . $last['file'] . ' on line ' . $last['line'] . "\n");
    }

    private static function reportFatalError(): void
    {
        if (self::$state !== 'loading' && self::$state !== 'calling' && self::$state !== 'running') return;
        $last = \error_get_last();
        if ($last === null || ($last['type'] & self::FATAL_ERRORS) === 0) return;
        // Out of memory, this handler runs before the display, which would reach stdout directly.
        \ini_set('display_errors', '0');
        $type = $last['type'] === \E_PARSE ? 'ParseError' : 'FatalError';
        // When the sandbox's memory runs out under PHP's own limit, PHP cannot even build its message.
        $garbled = static fn (string $text): bool => \str_contains($text, "\0") || \preg_match('//u', $text) !== 1;
        $message = $garbled($last['message']) ? 'Out of memory (the sandbox memory limit is reached)' : self::clean($last['message']);
        $traceback = $type . ': ' . $message . ' in ' . self::where($last['file'], (int) $last['line']);
        $line = self::isUserFile($last['file']) ? (int) $last['line'] : 0;
        self::sendError($type, $message, $traceback, $line, false);
    }

    /**
     * Warnings, notices and deprecations: logged to stderr as PHP logs them, and not displayed (display
     * is on for fatal errors only, see onOutput()), so they never land in the user's output buffers.
     * Errors silenced with @, and user errors (E_USER_ERROR stops the script), take PHP's own course.
     */
    public static function onError(int $type, string $message, string $file, int $line): bool
    {
        if (($type & \error_reporting()) === 0 || $type === \E_USER_ERROR || $type === \E_RECOVERABLE_ERROR) return false;
        if (\ini_get('log_errors')) \error_log('PHP ' . (self::ERROR_LABELS[$type] ?? 'Warning') . ':  ' . $message . ' in ' . $file . ' on line ' . $line);
        return true;
    }

    /** Runs when the script ends; during a call, that is exit() or die() in user code. */
    public static function shutdown(): void
    {
        if (self::$state !== 'loading' && self::$state !== 'calling') return;
        self::sendError('Exit', 'the script exited (exit() or die()) before the function returned');
    }
}

/**
 * php://stdin, php://stdout, php://stderr and php://fd/0-2 for user code: PHP cannot open them under WASI,
 * so they open the /dev devices instead. Everything else under php:// is served by PHP's own wrapper.
 */
final class PhpStreamWrapper
{
    /** @var resource|null */
    public $context;
    /** @var resource */
    private $stream;

    private const DEVICES = ['stdin' => '/dev/stdin', 'stdout' => '/dev/stdout', 'stderr' => '/dev/stderr', 'fd/0' => '/dev/stdin', 'fd/1' => '/dev/stdout', 'fd/2' => '/dev/stderr'];

    public function stream_open(string $path, string $mode, int $options, ?string &$openedPath): bool
    {
        $target = \strtolower(\substr($path, 6));
        if (isset(self::DEVICES[$target])) {
            $stream = \fopen(self::DEVICES[$target], $target === 'stdin' || $target === 'fd/0' ? 'rb' : 'wb');
        } else {
            \stream_wrapper_restore('php');
            try {
                $stream = $options & \STREAM_REPORT_ERRORS ? \fopen($path, $mode) : @\fopen($path, $mode);
            } finally {
                \stream_wrapper_unregister('php');
                \stream_wrapper_register('php', self::class);
            }
        }
        if ($stream === false) return false;
        $this->stream = $stream;
        return true;
    }

    public function stream_read(int $count): string|false
    {
        return \fread($this->stream, $count);
    }

    public function stream_write(string $data): int
    {
        return (int) \fwrite($this->stream, $data);
    }

    public function stream_eof(): bool
    {
        return \feof($this->stream);
    }

    public function stream_flush(): bool
    {
        return \fflush($this->stream);
    }

    public function stream_close(): void
    {
        \fclose($this->stream);
    }

    public function stream_seek(int $offset, int $whence): bool
    {
        return \fseek($this->stream, $offset, $whence) === 0;
    }

    public function stream_tell(): int
    {
        return (int) \ftell($this->stream);
    }

    public function stream_truncate(int $size): bool
    {
        return \ftruncate($this->stream, $size);
    }

    public function stream_stat(): array|false
    {
        return \fstat($this->stream);
    }

    public function stream_set_option(int $option, int $arg1, ?int $arg2): bool
    {
        return false;
    }

    /** @return resource */
    public function stream_cast(int $as)
    {
        return $this->stream;
    }
}

Proxy::start();
// A template's setup code, run once before the first request when the file exists: the classes and
// functions it loads stay defined for the calls.
if (\is_file('{{SETUP_PATH}}')) {
    (static function (): void {
        require '{{SETUP_PATH}}';
    })();
}
while (Proxy::nextCall()) {
    if (Proxy::decoded() && Proxy::runs()) {
        // A script or a snippet, included here at global scope (its variables are globals); the proxy's
        // two variables are removed before the next snippet can see them.
        try {
            $sandboxExecutorPath = Proxy::runPath();
            Proxy::sendRunValue(include $sandboxExecutorPath, $sandboxExecutorPath);
        } catch (\Throwable $sandboxExecutorError) {
            Proxy::sendRunError($sandboxExecutorError);
        }
        unset($sandboxExecutorPath, $sandboxExecutorError);
    } elseif (Proxy::decoded()) {
        if (!Proxy::$loaded) {
            Proxy::$state = 'loading';
            try {
                require Proxy::USER_CODE_PATH;
                Proxy::$loaded = true;
            } catch (\Throwable $sandboxExecutorLoadError) {
                Proxy::sendThrowable($sandboxExecutorLoadError);
                break;
            }
            Proxy::$state = 'calling';
        }
        Proxy::serveCall();
    }
    if (!Proxy::persistent()) break;
}
// The result is sent and user output flushed: end now (the shutdown function sees state 'done').
exit(Proxy::$exitStatus);
