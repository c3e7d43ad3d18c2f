using System.Runtime.InteropServices;
using KlingGenerated.Simulator;

// The standalone simulator, for ports in other languages (options: --help, or docs/simulator.md):
//   dotnet run --project src/KlingGenerated.Simulator -- --urls http://127.0.0.1:4010 [options]
// Every problem is one line on stderr and a nonzero exit: 2 for bad options or an address that cannot be used, 1 otherwise.
if (args.Any(a => a is "--help" or "-h"))
{
    // The name it was started by: the single-file binary (kling-simulator) or, through `dotnet`, the project's.
    var process = Path.GetFileName(Environment.ProcessPath ?? "dotnet");
    var name = process is "dotnet" or "dotnet.exe" ? "KlingGenerated.Simulator" : process;
    Console.WriteLine(KlingSimulatorCommandLine.Help(name));
    return 0;
}

KlingSimulatorOptions options;
try
{
    options = KlingSimulatorCommandLine.Parse(args);
}
catch (KlingSimulatorCommandLineException exception)
{
    Console.Error.WriteLine($"error: {exception.Message}");
    return 2;
}

foreach (var warning in KlingSimulatorCommandLine.Warnings(options))
{
    Console.Error.WriteLine(warning);
}

KlingSimulator simulator;
try
{
    simulator = await KlingSimulator.StartAsync(options);
}
catch (Exception exception)
{
    Console.Error.WriteLine($"error: {KlingSimulatorCommandLine.DescribeStartFailure(exception, options)}");
    return exception is InvalidOperationException && options.StateFile is not null ? 1 : 2;
}

await using (simulator)
{
    Console.WriteLine(KlingSimulatorCommandLine.ListeningLine(simulator, options));
    var stop = new TaskCompletionSource();
    using var onInterrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, signal => { signal.Cancel = true; stop.TrySetResult(); });
    using var onTerminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, signal => { signal.Cancel = true; stop.TrySetResult(); });
    await stop.Task;
}

Console.WriteLine("Kling simulator stopped.");
return 0;
