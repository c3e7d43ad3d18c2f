using System.CommandLine;
using System.Runtime.InteropServices;
using KlingGenerated.Cli;

// Ctrl+C and SIGTERM cancel the running command, which cleans up, prints how to resume and exits 130; a second Ctrl+C
// more than a second later ends the process at once (InterruptSignals: a copy of the same press is not a second one).
using var interrupted = new CancellationTokenSource();
var signals = new InterruptSignals(interrupted, Console.Error, TimeProvider.System);
Console.CancelKeyPress += (_, e) => e.Cancel = signals.Interrupt();
using var terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context =>
{
    context.Cancel = true;
    signals.Terminate();
});

// OTLP export only when OTEL_EXPORTER_OTLP_ENDPOINT is set; otherwise nothing of OpenTelemetry loads (Telemetry/OtlpExport.cs).
using var export = KlingGenerated.Cli.Telemetry.OtlpExport.StartIfAsked(args);
return await KlingCli.RunAsync(args, Console.Out, Console.Error, interrupted.Token);

namespace KlingGenerated.Cli
{
    /// <summary>The <c>kling</c> command line.</summary>
    internal static class KlingCli
    {
        public static Task<int> RunAsync(string[] args, TextWriter output, TextWriter error) =>
            RunAsync(args, output, error, CancellationToken.None);

        public static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter error, CancellationToken cancellationToken, CliTerminal? terminal = null, CliEnvironment? environment = null)
        {
            terminal ??= CliTerminal.ForStandardError();
            output = SecretMaskingWriter.Wrap(output); // an API key a hostile service echoed is printed nowhere
            error = SecretMaskingWriter.Wrap(error);
            var root = new KlingRootCommand("kling: generate videos with the Kling models of kie.ai (`kling models`). Without a key or base URL it runs offline against the built-in simulator.", environment ?? CliEnvironment.Process);
            root.Subcommands.Add(Ledger.LedgerLocation.AddTo(GlobalOptions.AddTo(GenerateCommand.Create(output, error, terminal))));
            root.Subcommands.Add(Ledger.LedgerLocation.AddTo(GlobalOptions.AddTo(QueryCommands.Status(output, error))));
            root.Subcommands.Add(GlobalOptions.AddTo(QueryCommands.Credits(output, error)));
            root.Subcommands.Add(GlobalOptions.AddTo(ModelsCommand.Create(output, error)));
            root.Subcommands.Add(GlobalOptions.AddToSimulator(SimulatorCommand.Create(output, error))); // only --verbose: it declares its own --api-key and would ignore --base-url, --json, --api-key-file
            root.Subcommands.Add(Ledger.LedgerLocation.AddTo(GlobalOptions.AddTo(Ledger.TaskCommands.Tasks(output, error))));
            root.Subcommands.Add(Ledger.LedgerLocation.AddTo(GlobalOptions.AddTo(Ledger.TaskCommands.Wait(output, error, terminal))));
            root.Subcommands.Add(Ledger.LedgerLocation.AddTo(GlobalOptions.AddTo(Ledger.TaskCommands.Download(output, error))));
            root.Subcommands.Add(Ledger.LedgerLocation.AddTo(GlobalOptions.AddTo(Batch.BatchCommand.Create(output, error, terminal))));
            root.Subcommands.Add(CompletionCommand.Create(output));
            root.Subcommands.Add(CompletionCommand.CreateComplete(output, () => root));

            // The service options are also accepted before the command (`kling --base-url URL --api-key-file F generate …`,
            // as most tools accept): they are moved after it. The root's --help lists them.
            GlobalOptions.AddListingTo(root);
            var parse = root.Parse(GlobalOptions.AfterCommand(args, root));
            if (parse.Errors.Count > 0 || ParseErrors.UnknownOptions(parse).Count > 0)
            {
                return await ParseErrors.ReportAsync(parse, output, error);
            }

            // The process-wide signal handling is ours (above): it says what happened to the task and exits 130.
            return await parse.InvokeAsync(new InvocationConfiguration { Output = output, Error = error, ProcessTerminationTimeout = null }, cancellationToken);
        }
    }
}
