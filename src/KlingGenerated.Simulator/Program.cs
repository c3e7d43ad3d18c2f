using System.Globalization;
using System.Runtime.InteropServices;
using KlingGenerated.Simulator;

// The standalone simulator, for ports in other languages:
//   dotnet run --project src/KlingGenerated.Simulator -- --urls http://127.0.0.1:4010 [--api-key KEY] [--webhook-hmac-key KEY]
//       [--waiting-ms N] [--queuing-ms N] [--generating-ms N] [--fault LIST] [--rate-limit TASKS_PER_10_S] [--credits N]
var options = new KlingSimulatorOptions { Urls = "http://127.0.0.1:4010" };
for (var i = 0; i < args.Length; i++)
{
    string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value.");
    TimeSpan Millis() => TimeSpan.FromMilliseconds(int.Parse(Next(), CultureInfo.InvariantCulture));
    switch (args[i])
    {
        case "--urls": options.Urls = Next(); break;
        case "--api-key": options.AcceptedApiKey = Next(); break;
        case "--webhook-hmac-key": options.WebhookHmacKey = Next(); break;
        case "--waiting-ms": options.WaitingFor = Millis(); break;
        case "--queuing-ms": options.QueuingFor = Millis(); break;
        case "--generating-ms": options.GeneratingFor = Millis(); break;
        case "--fault": options.Fault = Next(); break;
        case "--rate-limit": options.RateLimit = int.Parse(Next(), CultureInfo.InvariantCulture); break;
        case "--credits": options.Credits = long.Parse(Next(), CultureInfo.InvariantCulture); break;
        case "--help" or "-h":
            Console.WriteLine("Usage: KlingGenerated.Simulator [--urls URL] [--api-key KEY] [--webhook-hmac-key KEY] [--waiting-ms N] [--queuing-ms N] [--generating-ms N] [--fault LIST] [--rate-limit TASKS_PER_10_S] [--credits N]");
            return 0;
        default:
            Console.Error.WriteLine($"Unknown option {args[i]}; see --help.");
            return 2;
    }
}

await using var simulator = await KlingSimulator.StartAsync(options);
Console.WriteLine($"Kling simulator listening on {simulator.BaseUrl} (API key: {simulator.ApiKey}). Press Ctrl+C to stop.");
var stop = new TaskCompletionSource();
using var onInterrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, signal => { signal.Cancel = true; stop.TrySetResult(); });
using var onTerminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, signal => { signal.Cancel = true; stop.TrySetResult(); });
await stop.Task;
Console.WriteLine("Kling simulator stopped.");
return 0;
