using System.CommandLine;
using KlingGenerated.Simulator;

namespace KlingGenerated.Cli;

/// <summary><c>kling simulator</c>: run the simulator in the foreground until Ctrl+C.</summary>
internal static class SimulatorCommand
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var urls = new Option<string>("--urls") { Description = "Where to listen (loopback by default).", DefaultValueFactory = _ => "http://127.0.0.1:4010" };
        var hmacKey = new Option<string?>("--webhook-hmac-key") { Description = "Sign callbacks with this key." };
        var command = new Command("simulator", "Run the local simulator of the service (accepts the API key 'simulator-key').") { urls, hmacKey };
        command.SetAction(async (parse, cancellationToken) =>
        {
            try
            {
                await using var simulator = await KlingSimulator.StartAsync(new KlingSimulatorOptions { Urls = parse.GetValue(urls)!, WebhookHmacKey = parse.GetValue(hmacKey) }, cancellationToken);
                await output.WriteLineAsync($"Kling simulator listening on {simulator.BaseUrl} (API key: {simulator.ApiKey}). Press Ctrl+C to stop.");
                await Task.Delay(Timeout.Infinite, cancellationToken).ContinueWith(_ => { }, TaskScheduler.Default);
                return ExitCodes.Success;
            }
            catch (Exception exception) when (exception is not OperationCanceledException)
            {
                return ExitCodes.Report(new UsageException($"cannot listen on {parse.GetValue(urls)} ({exception.Message}); choose another --urls."), parse.GetValue(GlobalOptions.Verbose), error);
            }
        });
        return command;
    }
}
