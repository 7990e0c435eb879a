# Sandbox Executor: runs the proxy from the instruction sequences templates/ruby/compile_proxy.rb made.
#
# Placeholders, filled by the generator: {{BINARY_PATH}}.

RubyVM::InstructionSequence.load_from_binary(File.binread("{{BINARY_PATH}}")).eval
