using System.CommandLine;
using KlingGenerated.Cli;

return await KlingCli.RunAsync(args, Console.Out, Console.Error);

namespace KlingGenerated.Cli
{
    /// <summary>The <c>kling</c> command line.</summary>
    internal static class KlingCli
    {
        public static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter error)
        {
            var root = new RootCommand("kling: generate videos with Kling V2.5 Turbo Pro (kie.ai). Without a key or base URL it runs offline against the built-in simulator.")
            {
                GlobalOptions.ApiKey, GlobalOptions.BaseUrl, GlobalOptions.Json, GlobalOptions.Verbose, Ledger.LedgerLocation.Option,
            };
            root.Subcommands.Add(GenerateCommand.Create(output, error));
            root.Subcommands.Add(QueryCommands.Status(output, error));
            root.Subcommands.Add(QueryCommands.Credits(output, error));
            root.Subcommands.Add(SimulatorCommand.Create(output, error));
            root.Subcommands.Add(Ledger.TaskCommands.Tasks(output, error));
            root.Subcommands.Add(Ledger.TaskCommands.Wait(output, error));
            root.Subcommands.Add(Ledger.TaskCommands.Download(output, error));
            root.Subcommands.Add(Batch.BatchCommand.Create(output, error));

            var parse = root.Parse(args);
            if (parse.Errors.Count > 0)
            {
                await error.WriteLineAsync(ExitCodes.OneLine($"error: {parse.Errors[0].Message} Run `kling --help` for usage; nothing was sent."));
                return ExitCodes.InvalidInput;
            }

            return await parse.InvokeAsync(new InvocationConfiguration { Output = output, Error = error });
        }
    }
}
