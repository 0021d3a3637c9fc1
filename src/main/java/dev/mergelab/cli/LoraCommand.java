package dev.mergelab.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code mergelab lora ...}: PEFT LoRA adapters (apply, merge, extract). */
@Command(name = "lora", mixinStandardHelpOptions = true,
        description = "PEFT LoRA adapters: apply one to its base, merge several into one, extract one from a fine-tune.",
        subcommands = {LoraApplyCommand.class, LoraMergeCommand.class, LoraExtractCommand.class})
final class LoraCommand implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }
}
