# Sandbox Executor: Ruby proxy.
#
# Reads SIP frames (1 byte mode, 4 bytes big-endian length, JSON payload) from standard input, calls the
# requested top-level method of the user's code, and writes a result frame ("R", 4 bytes big-endian
# length, JSON) to the result channel. User output goes to stdout/stderr untouched.
#
# Start-up cost matters (a fresh interpreter per call), so this file loads nothing but `strscan` (a C
# extension, ~0.3 ms): `require "json"` costs ~16 ms, because it also loads `ostruct`. Small requests
# are read with a scanner written here, large ones with `json`; results are written by hand.
#
# User code defines its methods on Object, where they shadow Kernel's for every receiver (a user's
# `format` or `method` would replace Kernel's). So this file never calls a Kernel method without a
# receiver: it writes `::Kernel.raise` and binds `method` explicitly. For the same reason it calls no
# Kernel method on strings or IOs (`nil?`, `dup`, `hash` through `uniq`…), which a private top-level
# `def` of that name would make fail.
#
# Placeholders, filled by the generator: {{USER_CODE_PATH}}, {{USER_FILENAME}}, {{SETUP_PATH}}, and the proxy contract of
# src/protocol/proxy-contract.ts (devices, frame bytes, wire tags, limits).

require "strscan"

module SandboxExecutorProxy
  USER_CODE_PATH = "{{USER_CODE_PATH}}"
  USER_FILENAME = "{{USER_FILENAME}}"
  # A template's setup code, run once before the first request when the file exists.
  SETUP_PATH = "{{SETUP_PATH}}"
  WORKDIR = "{{WORKDIR}}"
  PROXY_FILE = __FILE__

  RESULT_DEVICE = "{{RESULT_DEVICE}}"
  CONTROL_DEVICE = "{{CONTROL_DEVICE}}"
  FRAME_HEADER_BYTES = {{FRAME_HEADER_BYTES}}
  RESULT_MARK = "{{RESULT_MARK}}"
  SIP_PERSISTENT = "{{SIP_PERSISTENT}}"
  TAG_PREFIX = "{{WIRE_TAG_PREFIX}}"
  TAG_BIGINT = "{{WIRE_BIGINT}}"
  TAG_BYTES = "{{WIRE_BYTES}}"
  TAG_FLOAT = "{{WIRE_FLOAT}}"
  TAG_OBJECT = "{{WIRE_OBJECT}}"
  MAX_SAFE_INTEGER = {{MAX_SAFE_INTEGER}}
  MAX_DEPTH = {{WIRE_MAX_DEPTH}}

  # A failure of the proxy itself, not of the user's code.
  class ProxyError < StandardError; end

  # --- SIP input ----------------------------------------------------------------------------------

  # Reads JSON text into Ruby values, decoding the wire tags of src/protocol/wire-value.ts. Interpreted
  # Ruby costs a few microseconds per value, so large payloads go to the C parser of `json` instead
  # (see .read_payload).
  class WireReader
    WHITESPACE = /[ \t\r\n]*/
    NUMBER = /-?(?:0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?/
    ESCAPE = /\\(?:u([dD][89abAB]\h\h)\\u([dD][c-fC-F]\h\h)|u(\h{4})|(.))/m
    SIMPLE_ESCAPES = { '"' => '"', "\\" => "\\", "/" => "/", "b" => "\b", "f" => "\f", "n" => "\n", "r" => "\r", "t" => "\t" }.freeze
    SPECIAL_FLOATS = { "nan" => Float::NAN, "inf" => Float::INFINITY, "-inf" => -Float::INFINITY, "-0" => -0.0 }.freeze
    BACKSLASH = 92
    # Above this size, loading `json` (~16 ms) costs less than reading in Ruby.
    LARGE_PAYLOAD_BYTES = 16 * 1024
    # Every tag is an object whose first key starts with TAG_PREFIX: without this text there is none to decode.
    TAG_MARK = "{\"" + TAG_PREFIX

    # The call payload: `functionName`, `args` and `kwargs`.
    def self.read_payload(body)
      text = body.force_encoding(Encoding::UTF_8)
      payload = (text.bytesize > LARGE_PAYLOAD_BYTES && parse_with_json(text)) || new(text).read_payload
      ::Kernel.raise ProxyError, "the call payload is not an object" unless ::Hash === payload
      payload
    end

    def self.parse_with_json(text)
      ::Kernel.require "json"
      # The host bounds the nesting of every value (its wire form nests deeper: each `$object` adds two levels).
      payload = ::JSON.parse(text, max_nesting: false)
      return payload unless text.include?(TAG_MARK) && ::Hash === payload
      payload["args"] = decode_tags(payload["args"])
      kwargs = payload["kwargs"]
      # The kwargs object holds names, not a value: it is never a tag itself.
      kwargs.transform_values! { |value| decode_tags(value) } if ::Hash === kwargs
      payload
    rescue ::JSON::ParserError
      # JavaScript strings may hold lone surrogates, which `json` refuses and the Ruby reader keeps.
      nil
    end

    def self.decode_tags(value)
      case value
      when ::Array then value.map! { |item| decode_tags(item) }
      when ::Hash
        value.transform_values! { |item| decode_tags(item) }
        value.size == 1 ? decode_tag(value) : value
      else value
      end
    end

    # The value a one-key object stands for: a tag's value, or the object itself.
    def self.decode_tag(hash)
      key, payload = hash.first
      return hash unless key.start_with?(TAG_PREFIX)
      case key
      when TAG_BIGINT then payload.to_i
      when TAG_BYTES then payload.unpack1("m")
      # A special value, or a float whose integral value JSON would give as an integer.
      when TAG_FLOAT then SPECIAL_FLOATS.fetch(payload) { ::Kernel.Float(payload) }
      when TAG_OBJECT then payload.to_h
      else ::Kernel.raise ProxyError, "unknown wire tag #{key}"
      end
    end

    def initialize(text)
      @text = text
      @scanner = StringScanner.new(text)
    end

    def read_payload
      payload = read_value(true, "kwargs")
      @scanner.skip(WHITESPACE)
      fail_at("unexpected text after the payload") unless @scanner.eos?
      payload
    end

    private

    # `tags`: false for the kwargs object, which holds names rather than a value (`untagged_key` names it
    # in the payload).
    def read_value(tags = true, untagged_key = nil)
      scanner = @scanner
      scanner.skip(WHITESPACE)
      case scanner.peek(1)
      when '"' then read_string
      when "{" then read_object(tags, untagged_key)
      when "[" then read_array
      when "t" then scanner.skip(/true/) ? true : fail_at("invalid literal")
      when "f" then scanner.skip(/false/) ? false : fail_at("invalid literal")
      when "n" then scanner.skip(/null/) ? nil : fail_at("invalid literal")
      else
        text = scanner.scan(NUMBER) or fail_at("unexpected character")
        scanner[1] || scanner[2] ? text.to_f : text.to_i
      end
    end

    # Finds the closing quote with byteindex: a regular expression over a long string is much slower.
    def read_string
      text = @text
      start = @scanner.pos + 1
      finish = start
      while true
        finish = text.byteindex('"', finish) or fail_at("unterminated string")
        slashes = 0
        slashes += 1 while text.getbyte(finish - 1 - slashes) == BACKSLASH
        break if slashes.even?
        finish += 1
      end
      @scanner.pos = finish + 1
      body = text.byteslice(start, finish - start)
      body.include?("\\") ? body.gsub(ESCAPE) { unescape($1, $2, $3, $4) } : body
    end

    # A lone surrogate (valid in JavaScript strings) becomes its 3-byte form; the writer turns it back.
    def unescape(high, low, code, simple)
      if high
        (((high.hex - 0xD800) << 10) + (low.hex - 0xDC00) + 0x10000).chr(Encoding::UTF_8)
      elsif code
        [code.hex].pack("U")
      else
        SIMPLE_ESCAPES[simple] or fail_at("invalid escape \\#{simple}")
      end
    end

    def read_array
      scanner = @scanner
      scanner.getch
      array = []
      scanner.skip(WHITESPACE)
      return array if scanner.skip(/\]/)
      while true
        array << read_value
        scanner.skip(WHITESPACE)
        return array if scanner.skip(/\]/)
        scanner.skip(/,/) or fail_at("expected , or ]")
      end
    end

    def read_object(tags, untagged_key)
      scanner = @scanner
      scanner.getch
      hash = {}
      scanner.skip(WHITESPACE)
      unless scanner.skip(/\}/)
        while true
          scanner.skip(WHITESPACE)
          fail_at("expected a key") unless scanner.peek(1) == '"'
          key = read_string
          scanner.skip(/[ \t\r\n]*:/) or fail_at("expected :")
          hash[key] = key == untagged_key ? read_value(false) : read_value
          scanner.skip(WHITESPACE)
          break if scanner.skip(/\}/)
          scanner.skip(/,/) or fail_at("expected , or }")
        end
      end
      tags && hash.size == 1 ? WireReader.decode_tag(hash) : hash
    end

    def fail_at(problem)
      ::Kernel.raise ProxyError, "invalid call payload at byte #{@scanner.pos}: #{problem}"
    end
  end

  # --- result output ------------------------------------------------------------------------------

  # The return value cannot be represented on the wire. `steps` leads from the result to the value.
  class SerializationError < StandardError
    attr_reader :steps

    def initialize(problem)
      super(problem)
      @steps = []
    end

    def message
      where = @steps.empty? ? "" : " at result" + @steps.map { |step| "[#{step.inspect}]" }.join
      "#{super}#{where} is not serializable"
    end
  end

  # Writes Ruby values as wire JSON (see src/protocol/wire-value.ts).
  class WireWriter
    ESCAPES = (0..0x1F).to_h { |code| [code.chr, "\\u%04x" % code] }
      .merge("\"" => "\\\"", "\\" => "\\\\", "\n" => "\\n", "\r" => "\\r", "\t" => "\\t", "\b" => "\\b", "\f" => "\\f").freeze
    NEEDS_ESCAPE = /["\\\x00-\x1F]/
    SURROGATE = /\xED[\xA0-\xBF][\x80-\xBF]/n
    # How each tag begins as written, up to its payload: `{"$bigint":"`.
    TAGGED_BIGINT = ('{"' + TAG_BIGINT + '":"').freeze
    TAGGED_BYTES = ('{"' + TAG_BYTES + '":"').freeze
    TAGGED_FLOAT = ('{"' + TAG_FLOAT + '":"').freeze
    TAGGED_OBJECT = ('{"' + TAG_OBJECT + '":[[').freeze

    def self.value(value)
      writer = new
      writer.write(value)
      writer.text
    end

    def self.text(value)
      writer = new
      writer.write_text(value)
      writer.text
    end

    attr_reader :text

    def initialize
      @text = String.new(capacity: 256, encoding: Encoding::UTF_8)
      # The containers being written, for cycle detection; their count is the depth.
      @active = {}.compare_by_identity
    end

    def write(value)
      out = @text
      case value
      when nil then out << "null"
      when true then out << "true"
      when false then out << "false"
      when Integer
        if value >= -MAX_SAFE_INTEGER && value <= MAX_SAFE_INTEGER
          out << value.to_s
        else
          out << TAGGED_BIGINT << value.to_s << '"}'
        end
      when Float
        if value.nan? then out << TAGGED_FLOAT << 'nan"}'
        elsif value.infinite? then out << TAGGED_FLOAT << (value > 0 ? 'inf"}' : '-inf"}')
        elsif value == 0.0 && 1.0 / value < 0 then out << TAGGED_FLOAT << '-0"}'
        else out << value.to_s
        end
      when String then write_string(value)
      when Symbol then write_text(value.name)
      when Array then write_array(value)
      when Hash then write_hash(value)
      when Struct then write_converted(value, value.to_h)
      else write_other(value)
      end
    end

    # Writes a string that must stay text (messages): invalid bytes become U+FFFD.
    def write_text(value)
      text = textual(value) || value.b.force_encoding(Encoding::UTF_8).scrub
      @text << '"' << (NEEDS_ESCAPE.match?(text) ? text.gsub(NEEDS_ESCAPE, ESCAPES) : text) << '"'
    end

    private

    # Binary strings (ASCII-8BIT) and strings that are not valid in their encoding are bytes.
    def write_string(value)
      text = textual(value)
      if text
        @text << '"' << (NEEDS_ESCAPE.match?(text) ? text.gsub(NEEDS_ESCAPE, ESCAPES) : text) << '"'
      elsif (pieces = surrogate_pieces(value))
        write_with_surrogates(pieces)
      else
        @text << TAGGED_BYTES << [value].pack("m0") << '"}'
      end
    end

    # The string as valid UTF-8 text, or nil when it holds bytes rather than text.
    def textual(value)
      encoding = value.encoding
      if encoding == Encoding::UTF_8 || encoding == Encoding::US_ASCII
        value.valid_encoding? ? value : nil
      elsif encoding == Encoding::BINARY
        nil
      else
        begin
          value.encode(Encoding::UTF_8)
        rescue EncodingError
          nil
        end
      end
    end

    # A UTF-8 string whose only invalid sequences are lone surrogates (from a JavaScript string):
    # alternating text and surrogate pieces.
    def surrogate_pieces(value)
      return nil unless value.encoding == Encoding::UTF_8
      bytes = value.b
      return nil unless SURROGATE.match?(bytes)
      pieces = bytes.split(/(#{SURROGATE})/n, -1)
      pieces.each_with_index.map do |piece, index|
        text = piece.force_encoding(Encoding::UTF_8)
        return nil if index.even? && !text.valid_encoding?
        text
      end
    end

    def write_with_surrogates(pieces)
      out = @text
      out << '"'
      pieces.each_with_index do |piece, index|
        if index.odd?
          bytes = piece.bytes
          out << "\\u%04x" % (((bytes[0] & 0x0F) << 12) | ((bytes[1] & 0x3F) << 6) | (bytes[2] & 0x3F))
        else
          out << (NEEDS_ESCAPE.match?(piece) ? piece.gsub(NEEDS_ESCAPE, ESCAPES) : piece)
        end
      end
      out << '"'
    end

    # Loops are `while` rather than blocks: a block called from C costs far more per element here.
    def write_array(value)
      enter(value)
      out = @text
      if value.all?(Integer) && (value.empty? || (value.min >= -MAX_SAFE_INTEGER && value.max <= MAX_SAFE_INTEGER))
        out << "[" << value.join(",") << "]"
      else
        out << "["
        index = 0
        size = value.size
        while index < size
          out << "," if index > 0
          write(value[index])
          index += 1
        end
        out << "]"
      end
      @active.delete(value)
    rescue SerializationError => error
      error.steps.unshift(index) if index
      ::Kernel.raise error
    end

    def write_hash(value)
      enter(value)
      names = value.keys
      items = value.values
      size = names.size
      escapes = true
      unless (plain = plain_keys(names))
        names = names.map { |key| key_text(key) }
        # Keys that differ in Ruby can meet on the wire (:a and "a"): the later one wins, as in JSON.
        if names.uniq.size != size
          merged = names.zip(items).to_h
          names = merged.keys
          items = merged.values
          size = names.size
        end
      end
      out = @text
      if size == 1 && names[0].start_with?(TAG_PREFIX)
        out << TAGGED_OBJECT
        write_text(names[0])
        out << ","
        index = 0
        write(items[0])
        out << "]]}"
      else
        out << "{"
        index = 0
        while index < size
          out << "," if index > 0
          if plain == :verbatim
            out << '"' << names[index] << '":'
          else
            write_text(names[index])
            out << ":"
          end
          write(items[index])
          index += 1
        end
        out << "}"
      end
      @active.delete(value)
    rescue SerializationError => error
      error.steps.unshift(names[index]) if index
      ::Kernel.raise error
    end

    # The usual keys, all strings or all symbols, checked at once: :verbatim when they can be written as
    # they are, :text when they are text that needs escaping, nil when each key needs a look.
    def plain_keys(keys)
      if keys.all?(String)
        joined = keys.join
      elsif keys.all?(Symbol)
        keys.map!(&:name)
        joined = keys.join
      else
        return nil
      end
      return nil unless joined.valid_encoding? && (joined.encoding != Encoding::BINARY || joined.ascii_only?)
      NEEDS_ESCAPE.match?(joined) ? :text : :verbatim
    rescue EncodingError
      nil
    end

    def key_text(key)
      case key
      when String
        text = textual(key) || (key.ascii_only? ? key.b.force_encoding(Encoding::UTF_8) : nil)
        text or ::Kernel.raise SerializationError, "hash key that is not valid UTF-8 text"
      when Symbol then key.name
      when Integer then key.to_s
      when Float then key.to_s
      when nil then "null"
      when true then "true"
      when false then "false"
      else ::Kernel.raise SerializationError, "hash key of type '#{type_name(key)}'"
      end
    end

    def write_other(value)
      if set?(value)
        write_converted(value, value.to_a)
      elsif defined?(::Data) && ::Data === value
        write_converted(value, value.to_h)
      else
        ::Kernel.raise SerializationError, "return value of type '#{type_name(value)}'"
      end
    end

    # A Struct, Data or Set written as the Hash or Array it converts to.
    def write_converted(value, converted)
      enter(value)
      write(converted)
      @active.delete(value)
    end

    # Set is autoloaded in Ruby 3.2: look at it only once something loaded it.
    def set?(value)
      !::Object.autoload?(:Set) && ::Object.const_defined?(:Set, false) && ::Set === value
    end

    def enter(container)
      ::Kernel.raise SerializationError, "circular reference" if @active.key?(container)
      ::Kernel.raise SerializationError, "data nested deeper than #{MAX_DEPTH} levels" if @active.size >= MAX_DEPTH
      @active[container] = true
    end

    def type_name(value)
      kind = value.class
      kind.name || kind.inspect
    end
  end

  # --- errors -------------------------------------------------------------------------------------

  TRACE_LIMIT = 100
  TRACE_HEAD = 30
  TRACE_TAIL = 10
  # The user's file, and the snippets of a context (snippet_N.rb).
  USER_FILES = /(?:#{Regexp.escape(USER_FILENAME)}|snippet_\d+\.rb)/
  USER_FRAME = /\A#{USER_FILES}:(\d+)(?::|\z)/
  SYNTAX_ERROR_LINE = /^#{USER_FILES}:(\d+):/

  class << self
    # Backtrace entries worth showing: up to the outermost frame of user code, without the proxy's own.
    # What user code called (the core library, say) stays; what called user code does not.
    def user_frames(exception)
      frames = (exception.backtrace || []).reject { |entry| entry.start_with?(PROXY_FILE + ":") }
      last = frames.rindex { |entry| USER_FRAME.match?(entry) }
      last ? frames[0..last] : []
    end

    def error_line(exception, loading)
      if loading && ::SyntaxError === exception
        match = SYNTAX_ERROR_LINE.match(safe_message(exception))
        return match[1].to_i if match
      end
      user_frames(exception).each do |entry|
        match = USER_FRAME.match(entry)
        return match[1].to_i if match
      end
      0
    end

    # Ruby's own format ("file:line:in `name': message (Type)" then "\tfrom …" lines), causes after.
    def format_exception(exception)
      seen = {}.compare_by_identity
      parts = []
      current = exception
      while current && !seen.key?(current)
        seen[current] = true
        parts << format_one(current)
        current = current.cause
      end
      parts.join
    end

    def format_one(exception)
      frames = user_frames(exception)
      first, rest = safe_message(exception).split("\n", 2)
      head = "#{first} (#{type_name(exception)})"
      head += "\n#{rest}" if rest && !rest.empty?
      return "#{head}\n" if frames.empty?
      lines = ["#{frames[0]}: #{head}"] + frames.drop(1).map { |entry| "\tfrom #{entry}" }
      # A stack overflow has thousands of identical frames: keep both ends, as Ruby does.
      if lines.size > TRACE_LIMIT
        lines = lines.first(TRACE_HEAD) + ["\t ... #{lines.size - TRACE_HEAD - TRACE_TAIL} levels..."] + lines.last(TRACE_TAIL)
      end
      lines.join("\n") + "\n"
    end

    # The message without the trailing newline of Ruby's syntax errors (which end with a caret line).
    def safe_message(exception)
      message = exception.message
      message = message.to_s unless ::String === message
      message = message.scrub unless message.valid_encoding?
      message.sub(/\n+\z/, "")
    rescue ::Exception
      "<exception message failed>"
    end

    def type_name(exception)
      kind = exception.class
      kind.name || kind.inspect
    end

    def error_frame(exception, loading: false, type: nil)
      message = safe_message(exception)
      if ::SystemExit === exception
        message = message == "exit" || message == "SystemExit" ? "exit code #{exception.status}" : message
      end
      error_frame_of(type || type_name(exception), message, format_exception(exception), error_line(exception, loading))
    end

    def error_frame_of(type, message, traceback, line)
      '{"ok":false,"error":{"type":' + WireWriter.text(type) + ',"message":' + WireWriter.text(message) +
        ',"traceback":' + WireWriter.text(traceback) + ',"line":' + line.to_s + "}}"
    end

    # --- sleeping ---------------------------------------------------------------------------------

    NANOSECONDS = 1_000_000_000
    FOREVER = 3600 * NANOSECONDS

    # Kernel#sleep of this Ruby busy-waits on the clock under WASI. This one asks the host to block the
    # thread (no CPU spent), and the time counts toward the call's timeout. Same contract as Ruby's.
    def sleep(*duration)
      unless duration.size <= 1
        ::Kernel.raise ::ArgumentError, "wrong number of arguments (given #{duration.size}, expected 0..1)"
      end
      started = ::Process.clock_gettime(::Process::CLOCK_MONOTONIC)
      if duration.empty?
        @control.syswrite("sleep #{FOREVER}") while true
      end
      seconds = duration[0]
      ::Kernel.raise ::TypeError, "can't convert #{seconds.class} into time interval" unless ::Numeric === seconds
      ::Kernel.raise ::ArgumentError, "time interval must not be negative" if seconds < 0
      nanoseconds = (seconds * NANOSECONDS).to_i
      @control.syswrite("sleep #{nanoseconds}") if nanoseconds > 0
      (::Process.clock_gettime(::Process::CLOCK_MONOTONIC) - started).round
    end

    # --- calling ----------------------------------------------------------------------------------

    def start
      @result = ::File.open(RESULT_DEVICE, "wb")
      @result.sync = true
      @control = ::File.open(CONTROL_DEVICE, "wb")
      # Requests come from the real standard input even if user code reassigns $stdin.
      @input = $stdin
      @main = ::TOPLEVEL_BINDING.receiver
      @loaded = false
      # Stdout is a pipe, so Ruby would buffer it until exit: write through, so that output is live.
      $stdout.sync = true
      begin
        ::Dir.chdir(WORKDIR)
      rescue ::SystemCallError
        nil
      end
      $LOAD_PATH.unshift(WORKDIR)
    end

    def serve
      # Packages are on $LOAD_PATH already (-I); what setup requires stays loaded for the calls.
      ::Kernel.load(SETUP_PATH, true) if ::File.file?(SETUP_PATH)
      while (frame = read_frame)
        mode, body = frame
        keep_going = serve_one(body)
        break unless mode == SIP_PERSISTENT && keep_going
      end
    end

    def read_frame
      header = @input.read(FRAME_HEADER_BYTES)
      return nil if header == nil || header.empty?
      ::Kernel.raise ProxyError, "standard input ended inside a SIP frame header" if header.bytesize < FRAME_HEADER_BYTES
      length = header.unpack1("@1N")
      body = length.zero? ? +"" : @input.read(length)
      ::Kernel.raise ProxyError, "standard input ended inside a SIP frame" if body == nil || body.bytesize < length
      [header[0], body]
    end

    # Serves one call; false when the user's code could not be loaded (nothing more can be served).
    def serve_one(body)
      @call_number = nil
      begin
        payload = WireReader.read_payload(body)
        @call_number = payload["call"] if ::Hash === payload && ::Integer === payload["call"]
      rescue ::Exception => exception
        send_frame(error_frame(exception, type: "ProxyError"))
        return true
      end
      apply_process(payload) unless @process_applied
      kind = payload["kind"]
      return serve_run(payload, kind) if kind == "script" || kind == "snippet"
      unless @loaded
        begin
          load_user_code
        rescue ::Exception => exception
          send_frame(error_frame(exception, loading: true))
          return false
        end
      end
      begin
        result = call(payload)
      rescue ::Exception => exception
        send_frame(error_frame(exception))
        return true
      end
      begin
        send_frame('{"ok":true,"value":' + WireWriter.value(result) + "}")
      rescue SerializationError => exception
        send_frame(error_frame_of("SerializationError", exception.message, "", 0))
      rescue ::SystemStackError
        send_frame(error_frame_of("SerializationError", "return value is nested too deeply to serialize", "", 0))
      end
      true
    end

    # --- scripts and snippets ---------------------------------------------------------------------

    # Gives the program the request's environment (in place of the proxy's own) and arguments, before
    # any user code runs.
    def apply_process(payload)
      @process_applied = true
      env = payload["env"]
      ::ENV.replace(env.to_h { |pair| [pair[0].to_s, pair[1].to_s] }) if ::Array === env
      argv = payload["argv"]
      return unless ::Array === argv
      ::ARGV.replace(argv.map(&:to_s))
      # A script is the main program (`__FILE__ == $0`); a call's code is not.
      $PROGRAM_NAME = USER_FILENAME if payload["kind"] == "script"
    end

    # Runs the user's file as a script, or a snippet at the top level of a context (its locals stay in
    # TOPLEVEL_BINDING for the next ones), and sends the value of its last expression.
    def serve_run(payload, kind)
      begin
        value =
          if kind == "script"
            load_user_code
          else
            ::TOPLEVEL_BINDING.eval(payload["code"].to_s, "snippet_#{payload["snippet"].to_i}.rb", 1)
          end
      rescue ::SystemExit => stop
        # exit, exit!, abort: the program ends with the script's status, as Ruby's would.
        flush_user_streams
        ::Process.exit!(stop.status)
      rescue ::Exception => exception
        send_frame(error_frame(exception, loading: true))
        @exit_status = 1
        return true
      end
      send_frame('{"ok":true,"value":' + run_value(value) + "}")
      true
    end

    # A value with no wire form (an object, a Proc) is shown as Ruby inspects it.
    def run_value(value)
      WireWriter.value(value)
    rescue SerializationError, ::SystemStackError
      WireWriter.text(inspect_text(value))
    end

    def inspect_text(value)
      text = value.__send__(:inspect)
      ::String === text ? text : "#<#{type_name(value)}>"
    rescue ::Exception
      "#<#{type_name(value)}>"
    end

    # 1 once a script has ended with an uncaught exception, as Ruby's own status.
    def exit_status
      @exit_status || 0
    end

    # Compiled under the name "user_code.rb" so that backtraces and syntax errors show the user's file
    # and lines. Evaluated at the top level: its `def`s become private methods of Object, as in a script.
    def load_user_code
      source = ::File.binread(USER_CODE_PATH).force_encoding(Encoding::UTF_8)
      @loaded = true
      ::RubyVM::InstructionSequence.compile(source, USER_FILENAME, USER_CODE_PATH, 1).eval
    end

    def call(payload)
      name = payload["functionName"].to_s
      function = user_method(name)
      args = payload["args"] || []
      kwargs = payload["kwargs"] || {}
      return function.call(*args) if kwargs.empty?
      keywords = kwargs.to_h { |key, value| [key.to_sym, value] }
      refuse_keywords(function, keywords) unless takes_keywords?(function)
      function.call(*args, **keywords)
    end

    # The top-level method `name` defined by user code (not one of Kernel's, nor the proxy's).
    def user_method(name)
      function = begin
        ::Kernel.instance_method(:method).bind_call(@main, name)
      rescue ::NameError
        nil
      end
      owner = function&.owner
      unless function && (owner == ::Object || owner == @main.singleton_class)
        ::Kernel.raise ::NoMethodError.new("undefined method `#{name}' for main:Object", name.to_sym)
      end
      function
    end

    def takes_keywords?(function)
      function.parameters.any? { |kind, _| kind == :key || kind == :keyreq || kind == :keyrest }
    end

    # Ruby 3 would pass keywords to a method without keyword parameters as a trailing positional Hash.
    # A call with kwargs means keyword arguments, so refuse them the way Ruby refuses unknown keywords,
    # reported at the method's definition as Ruby does for its own argument errors.
    def refuse_keywords(function, keywords)
      names = keywords.keys.map(&:inspect).join(", ")
      error = ::ArgumentError.new("unknown keyword#{keywords.size > 1 ? "s" : ""}: #{names}")
      file, line = function.source_location
      error.set_backtrace(["#{file}:#{line}:in `#{function.name}'"]) if file
      ::Kernel.raise error
    end

    def send_frame(json)
      flush_user_streams
      # The call's number goes first, so that the host never takes this answer for another call's.
      # (Only methods of Integer and String here: user code may define top-level methods such as nil?.)
      number = ::Integer === @call_number ? @call_number.to_s : "null"
      json = "{\"call\":" + number + "," + json.byteslice(1, json.bytesize - 1) if json.start_with?("{")
      # One write: each write to the device is a round trip to the host.
      @result.write([RESULT_MARK, json.bytesize, json].pack("a1Na*"))
    end

    def flush_user_streams
      # Each stream is flushed even when two are the same object: comparing them could call user code.
      [$stdout, $stderr, ::STDOUT, ::STDERR].each do |stream|
        stream.flush
      rescue ::Exception
        nil
      end
    end
  end
end

SandboxExecutorProxy.start
module Kernel
  private def sleep(*duration) = SandboxExecutorProxy.sleep(*duration)
end
Kernel.define_singleton_method(:sleep) { |*duration| SandboxExecutorProxy.sleep(*duration) }
SandboxExecutorProxy.serve
# Everything the call wrote is flushed and its result is sent: skip finalization (at_exit handlers,
# finalizers, freeing the heap), which costs more than the call itself.
SandboxExecutorProxy.flush_user_streams
Process.exit!(SandboxExecutorProxy.exit_status)
