using System.Diagnostics;
using System.Globalization;
using KlingGenerated;

// A small program that downloads one result with DownloadResultToFileAsync, for run.sh to measure its peak RSS and wall
// time against curl -o. Usage: KlingGenerated.DownloadBenchmark URL PATH
if (args.Length != 2 || !Uri.TryCreate(args[0], UriKind.Absolute, out var url))
{
    Console.Error.WriteLine("usage: KlingGenerated.DownloadBenchmark URL PATH");
    return 2;
}

var client = new KlingClient(new HttpClient(), new KlingClientOptions { ApiKey = "never-sent-to-result-hosts" });
var reports = 0;
var progress = new Sink(() => reports++);
var watch = Stopwatch.StartNew();
var path = await client.DownloadResultToFileAsync(url, args[1],
    new KlingDownloadOptions { MaxBytes = 8L << 30, Overwrite = true, Timeout = TimeSpan.FromMinutes(30) }, progress);
watch.Stop();
Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"bytes={new FileInfo(path).Length} download_seconds={watch.Elapsed.TotalSeconds:0.000} progress_reports={reports} managed_allocated_bytes={GC.GetTotalAllocatedBytes(precise: true)}"));
return 0;

/// <summary>Counts progress reports synchronously (Progress&lt;T&gt; would post them to the thread pool).</summary>
internal sealed class Sink(Action onReport) : IProgress<KlingDownloadProgress>
{
    public void Report(KlingDownloadProgress value) => onReport();
}
