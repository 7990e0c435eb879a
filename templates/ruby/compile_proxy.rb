# Sandbox Executor: compiles the Ruby proxy to instruction sequences once per process, inside the
# sandbox, so that the exact interpreter that runs calls produces them. Loading the binary form skips
# ~15 ms of parsing and compiling per fresh interpreter.
#
# Placeholders, filled by the generator: {{SOURCE_PATH}}, {{TARGET_PATH}}.

SOURCE_PATH = "{{SOURCE_PATH}}"
TARGET_PATH = "{{TARGET_PATH}}"

source = File.binread(SOURCE_PATH).force_encoding(Encoding::UTF_8)
# Compiled under the source's own path: the proxy finds its frames in backtraces by that name.
iseq = RubyVM::InstructionSequence.compile(source, SOURCE_PATH, SOURCE_PATH, 1)
File.binwrite(TARGET_PATH, iseq.to_binary)
