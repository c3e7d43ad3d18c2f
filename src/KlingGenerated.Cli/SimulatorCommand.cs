using System.CommandLine;
using KlingGenerated.Simulator;

namespace KlingGenerated.Cli;

/// <summary>
/// <c>kling simulator</c>: run the simulator in the foreground until Ctrl+C. Its options are the standalone host's,
/// declared once in <see cref="KlingSimulatorCommandLine"/> and read by that one parser, so the two cannot drift.
/// </summary>
internal static class SimulatorCommand
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var command = new Command("simulator", "Run the local simulator of the service (accepts the API key 'simulator-key' unless --api-key says otherwise).");

        // Every option of the one parser, --api-key included: here it is the key the simulator accepts, not a kie.ai key.
        var options = KlingSimulatorCommandLine.Options
            .Select(o => (Definition: o, Symbol: o.ValueName is null ? (Option)new Option<bool>(o.Name) { Description = o.Description } : new Option<string?>(o.Name) { Description = o.Description, HelpName = o.ValueName }))
            .ToList();
        foreach (var (_, symbol) in options)
        {
            command.Options.Add(symbol);
        }

        command.SetAction(async (parse, cancellationToken) =>
        {
            var verbose = parse.GetValue(GlobalOptions.Verbose);
            KlingSimulatorOptions simulatorOptions;
            try
            {
                simulatorOptions = KlingSimulatorCommandLine.Parse(Arguments(parse, options));
            }
            catch (KlingSimulatorCommandLineException exception)
            {
                return ExitCodes.Report(new UsageException(exception.Message), verbose, error);
            }

            foreach (var warning in KlingSimulatorCommandLine.Warnings(simulatorOptions))
            {
                await error.WriteLineAsync(warning);
            }

            KlingSimulator simulator;
            try
            {
                simulator = await KlingSimulator.StartAsync(simulatorOptions, cancellationToken);
            }
            catch (Exception exception) when (exception is not OperationCanceledException)
            {
                return ExitCodes.Report(new UsageException(KlingSimulatorCommandLine.DescribeStartFailure(exception, simulatorOptions)), verbose, error);
            }

            await using (simulator)
            {
                await output.WriteLineAsync(KlingSimulatorCommandLine.ListeningLine(simulator, simulatorOptions));
                await Task.Delay(Timeout.Infinite, cancellationToken).ContinueWith(_ => { }, TaskScheduler.Default);
            }

            return ExitCodes.Success;
        });
        return command;
    }

    /// <summary>The options given, back as arguments for the one parser.</summary>
    private static List<string> Arguments(ParseResult parse, List<(KlingSimulatorOption Definition, Option Symbol)> options)
    {
        var args = new List<string>();
        foreach (var (definition, symbol) in options)
        {
            if (parse.GetResult(symbol) is null)
            {
                continue;
            }

            if (symbol is Option<bool> flag)
            {
                if (parse.GetValue(flag))
                {
                    args.Add(definition.Name);
                }
            }
            else
            {
                args.Add($"{definition.Name}={parse.GetValue((Option<string?>)symbol)}");
            }
        }

        return args;
    }
}
