using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;

namespace KlingGenerated.Benchmarks;

/// <summary>
/// 1,000 concurrent tasks (create, then wait) through AddKlingClient against the standalone simulator in its own process,
/// on loopback. Reports total time, p50/p99 per request, peak memory of both processes and TCP connections opened.
/// </summary>
public static class LoadTest
{
    public static async Task RunAsync(int tasks = 1000)
    {
        var simulatorDll = Path.Combine(AppContext.BaseDirectory, "KlingGenerated.Simulator.dll");
        var start = new ProcessStartInfo("dotnet", [simulatorDll, "--urls", "http://127.0.0.1:0", "--waiting-ms", "200", "--queuing-ms", "200", "--generating-ms", "600", "--rate-limit", "1000000", "--credits", "100000000"])
        {
            RedirectStandardOutput = true,
        };
        using var simulator = Process.Start(start)!;
        try
        {
            var banner = await simulator.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(30)).ConfigureAwait(false);
            var baseUrl = new Uri(Regex.Match(banner!, @"http://127\.0\.0\.1:\d+/").Value);

            var connections = 0;
            var latencies = new ConcurrentBag<double>();
            var services = new ServiceCollection();
            services.AddKlingClient(o =>
            {
                o.ApiKey = "simulator-key";
                o.BaseUrl = baseUrl;
                o.Resilience.CreateTaskPermitLimit = 0; // the simulator's rate limit is lifted for this run
            })
            .ConfigurePrimaryHttpMessageHandler(provider => new SocketsHttpHandler
            {
                MaxConnectionsPerServer = new KlingClientOptions().MaxConnections,
                ConnectCallback = async (context, cancellationToken) =>
                {
                    Interlocked.Increment(ref connections);
                    var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                    await socket.ConnectAsync(context.DnsEndPoint, cancellationToken).ConfigureAwait(false);
                    return new NetworkStream(socket, ownsSocket: true);
                },
            })
            .AddHttpMessageHandler(() => new TimingHandler(latencies));
            await using var provider = services.BuildServiceProvider();
            var client = provider.GetRequiredService<IKlingClient>();
            var polling = new KlingPollingOptions { InitialDelay = TimeSpan.FromMilliseconds(200), MaxDelay = TimeSpan.FromSeconds(1) };

            var watch = Stopwatch.StartNew();
            var done = await Task.WhenAll(Enumerable.Range(0, tasks).Select(i => client.GenerateVideoAsync(
                new CreateTaskRequest { Input = new CreateTaskInput { Prompt = $"load {i}" } }, polling, null, CancellationToken.None))).ConfigureAwait(false);
            watch.Stop();

            var sorted = latencies.OrderBy(l => l).ToArray();
            Console.WriteLine($"tasks completed:        {done.Count(r => r.State == TaskState.Success)} of {tasks}");
            Console.WriteLine($"total time:             {watch.Elapsed.TotalSeconds:0.0} s");
            Console.WriteLine($"requests:               {sorted.Length} ({sorted.Length / (double)tasks:0.0} per task)");
            Console.WriteLine($"per request p50 / p99:  {Percentile(sorted, 0.50):0.0} ms / {Percentile(sorted, 0.99):0.0} ms");
            Console.WriteLine($"TCP connections opened: {connections}");
            Console.WriteLine($"peak memory, client:    {Environment.WorkingSet / 1048576.0:0} MB now, {Process.GetCurrentProcess().PeakWorkingSet64 / 1048576.0:0} MB peak");
            Console.WriteLine($"peak memory, simulator: {PeakMegabytes(simulator.Id):0} MB peak");
        }
        finally
        {
            simulator.Kill(entireProcessTree: true);
        }
    }

    private static double Percentile(double[] sorted, double p) => sorted[Math.Min(sorted.Length - 1, (int)(p * sorted.Length))];

    // VmHWM is the process's peak resident set size, in kB (Linux).
    private static double PeakMegabytes(int pid) =>
        File.ReadLines($"/proc/{pid}/status").Where(l => l.StartsWith("VmHWM:", StringComparison.Ordinal))
            .Select(l => double.Parse(Regex.Match(l, @"\d+").Value, System.Globalization.CultureInfo.InvariantCulture) / 1024).FirstOrDefault();

    private sealed class TimingHandler(ConcurrentBag<double> latencies) : DelegatingHandler
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var watch = Stopwatch.StartNew();
            var response = await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
            latencies.Add(watch.Elapsed.TotalMilliseconds);
            return response;
        }
    }
}
