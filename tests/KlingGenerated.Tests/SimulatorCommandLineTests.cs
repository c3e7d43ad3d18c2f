using System.Diagnostics;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using KlingGenerated.Simulator;
using KlingGenerated.Tests.Infrastructure;
using Newtonsoft.Json.Linq;

namespace KlingGenerated.Tests;

/// <summary>
/// Issue 8, finding 21 (simulator side): one options parser, <see cref="KlingSimulatorCommandLine"/>, behind both the
/// standalone host and <c>kling simulator</c>; bad options and a busy port get one line and a nonzero exit.
/// </summary>
[Trait("Category", "Slow")] // seconds, not milliseconds: outside the inner loop (docs/testing.md)
public sealed class SimulatorCommandLineTests
{
    public static TheoryData<string[]> Hosts() => new() { new[] { "kling.dll", "simulator" }, new[] { "KlingGenerated.Simulator.dll" } };

    private static ProcessStartInfo Start(string[] host, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, host[0]));
        foreach (var arg in host.Skip(1).Concat(args))
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment.Remove("KIE_API_KEY");
        start.Environment.Remove("KIE_BASE_URL");
        return start;
    }

    private static async Task<(int ExitCode, string Stdout, string Stderr)> RunAsync(string[] host, params string[] args)
    {
        using var process = Process.Start(Start(host, args))!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        try
        {
            await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(1));
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }

        return (process.ExitCode, await stdout, await stderr);
    }

    [Theory]
    [MemberData(nameof(Hosts))]
    public async Task a_bad_number_a_missing_value_and_a_busy_port_each_get_one_line_and_a_nonzero_exit(string[] host)
    {
        using var busy = new TcpListener(System.Net.IPAddress.Loopback, 0);
        busy.Start();
        var busyUrl = $"http://127.0.0.1:{((System.Net.IPEndPoint)busy.LocalEndpoint).Port}";

        var badNumber = await RunAsync(host, "--waiting-ms", "abc");
        var missingValue = await RunAsync(host, "--urls");
        var portInUse = await RunAsync(host, "--urls", busyUrl);

        foreach (var (result, says) in new[] { (badNumber, "--waiting-ms"), (missingValue, "--urls"), (portInUse, "already in use") })
        {
            result.ExitCode.Should().Be(2, result.Stderr);
            var lines = result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            lines.Should().ContainSingle("one line, no stack trace: {0}", result.Stderr).Which.Should().StartWith("error:").And.Contain(says);
            result.Stderr.Should().NotContain("   at ");
        }

        portInUse.Stderr.Should().Contain(busyUrl).And.Contain("--urls");
        badNumber.Stderr.Should().Contain("'abc'");
    }

    [Theory]
    [MemberData(nameof(Hosts))]
    public async Task both_hosts_take_the_key_timing_fault_and_rate_limit_options_of_the_one_parser(string[] host)
    {
        using var process = Process.Start(Start(host, "--urls", "http://127.0.0.1:0", "--api-key", "my-own-key", "--rate-limit", "1", "--rate-limit-window-ms", "60000", "--waiting-ms", "0", "--queuing-ms", "0", "--generating-ms", "0", "--fault", "generation-failed"))!;
        try
        {
            var banner = await process.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(60));
            banner.Should().NotContain("my-own-key", "a key given on the command line is not echoed");
            var baseUrl = new Uri(Regex.Match(banner!, @"http://127\.0\.0\.1:\d+/").Value);
            using var http = new HttpClient();

            async Task<JObject> Send(HttpMethod method, string path, string key, string? body = null)
            {
                using var request = new HttpRequestMessage(method, new Uri(baseUrl, path));
                request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", key);
                request.Content = body is null ? null : new StringContent(body, System.Text.Encoding.UTF8, "application/json");
                return JObject.Parse(await (await http.SendAsync(request)).Content.ReadAsStringAsync());
            }

            const string create = """{"model":"kling/v2-5-turbo-text-to-video-pro","input":{"prompt":"a boat"}}""";
            var withDefaultKey = await Send(HttpMethod.Get, "api/v1/chat/credit", "simulator-key");
            var first = await Send(HttpMethod.Post, "api/v1/jobs/createTask", "my-own-key", create);
            var second = await Send(HttpMethod.Post, "api/v1/jobs/createTask", "my-own-key", create);
            var record = await Send(HttpMethod.Get, $"api/v1/jobs/recordInfo?taskId={first["data"]!["taskId"]}", "my-own-key");
            var tasks = await Send(HttpMethod.Get, "_simulator/tasks", "my-own-key");

            ((int)withDefaultKey["code"]!).Should().Be(401, "--api-key replaced the default key");
            ((int)first["code"]!).Should().Be(200);
            ((int)second["code"]!).Should().Be(429, "--rate-limit 1 per --rate-limit-window-ms 60000");
            ((string)record["data"]!["state"]!).Should().Be("fail", "the timings are 0 and --fault generation-failed applies");
            ((double)tasks["rateLimit"]!["windowMilliseconds"]!).Should().Be(60000);
        }
        finally
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }
    }

    [Theory]
    [MemberData(nameof(Hosts))]
    public async Task both_hosts_help_lists_every_option_of_the_one_parser(string[] host)
    {
        var help = await RunAsync(host, "--help");

        help.ExitCode.Should().Be(0, help.Stderr);
        help.Stdout.Should().ContainAll(KlingSimulatorCommandLine.Options.Select(o => o.Name));
    }

    [Fact]
    public void the_one_parser_reads_every_option_and_names_the_bad_one()
    {
        var options = KlingSimulatorCommandLine.Parse([
            "--urls", "http://127.0.0.1:4555", "--api-key", "k", "--webhook-hmac-key", "h", "--waiting-ms", "1", "--queuing-ms=2", "--generating-ms", "3",
            "--visible-after-ms", "4", "--callback-attempts", "5", "--callback-retry-ms", "6", "--rate-limit", "7", "--rate-limit-window-ms", "8000",
            "--credits", "9", "--credits-per-task", "1", "--fault", "slow:10", "--random-fault-rate", "0.25", "--random-faults", "drop,maintenance",
            "--random-fault-seed", "11", "--max-body-bytes", "2048", "--retention-minutes", "13", "--state-file", "state.json", "--no-auth"]);

        options.Should().BeEquivalentTo(new
        {
            Urls = "http://127.0.0.1:4555", AcceptedApiKey = "k", DisableAuthentication = true, WebhookHmacKey = "h",
            WaitingFor = TimeSpan.FromMilliseconds(1), QueuingFor = TimeSpan.FromMilliseconds(2), GeneratingFor = TimeSpan.FromMilliseconds(3),
            RecordVisibleAfter = TimeSpan.FromMilliseconds(4), CallbackAttempts = 5, CallbackRetryDelay = TimeSpan.FromMilliseconds(6),
            RateLimit = 7, RateLimitWindow = TimeSpan.FromSeconds(8), Credits = 9L, CreditsPerTask = 1L, Fault = "slow:10",
            RandomFaultRate = 0.25, RandomFaults = new[] { "drop", "maintenance" }, RandomFaultSeed = 11, MaxRequestBodyBytes = 2048,
            TaskRetention = TimeSpan.FromMinutes(13), StateFile = "state.json",
        });
        KlingSimulatorCommandLine.Parse([]).Urls.Should().Be("http://127.0.0.1:4010");
        FluentActions.Invoking(() => KlingSimulatorCommandLine.Parse(["--random-fault-rate", "0,3"])).Should().Throw<KlingSimulatorCommandLineException>().WithMessage("*--random-fault-rate*'0,3'*");
        FluentActions.Invoking(() => KlingSimulatorCommandLine.Parse(["--fault", "explode"])).Should().Throw<KlingSimulatorCommandLineException>().WithMessage("*--fault*explode*");
        FluentActions.Invoking(() => KlingSimulatorCommandLine.Parse(["--wating-ms", "5"])).Should().Throw<KlingSimulatorCommandLineException>().WithMessage("*did you mean --waiting-ms*");
        FluentActions.Invoking(() => KlingSimulatorCommandLine.Parse(["--api-key", ""])).Should().Throw<KlingSimulatorCommandLineException>().WithMessage("*--no-auth*");
    }

    [Fact]
    public async Task StateFile_a_paid_task_survives_kill_9_of_the_standalone_simulator_and_a_restart()
    {
        var stateFile = Path.Combine(KlingProcess.NewDirectory(), "simulator.json");
        string[] host = ["KlingGenerated.Simulator.dll"];
        string taskId;
        using (var first = Process.Start(Start(host, "--urls", "http://127.0.0.1:0", "--state-file", stateFile, "--waiting-ms", "0", "--queuing-ms", "0", "--generating-ms", "600000"))!)
        {
            var baseUrl = await BaseUrlAsync(first);
            taskId = (string)(await SendAsync(baseUrl, HttpMethod.Post, "api/v1/jobs/createTask", """{"model":"kling/v2-5-turbo-text-to-video-pro","input":{"prompt":"a boat"}}"""))["data"]!["taskId"]!;
            first.Kill();
            await first.WaitForExitAsync();
        }

        using var second = Process.Start(Start(host, "--urls", "http://127.0.0.1:0", "--state-file", stateFile, "--waiting-ms", "0", "--queuing-ms", "0", "--generating-ms", "600000"))!;
        try
        {
            var baseUrl = await BaseUrlAsync(second);
            var record = await SendAsync(baseUrl, HttpMethod.Get, $"api/v1/jobs/recordInfo?taskId={taskId}");
            var tasks = await SendAsync(baseUrl, HttpMethod.Get, "_simulator/tasks");

            ((int)record["code"]!).Should().Be(200, "the task was on disk before its id was answered");
            ((string)record["data"]!["state"]!).Should().Be("generating", "it continues from its creation: no waiting or queuing, 10 minutes of generating");
            tasks["tasks"]!.Select(t => (string)t["taskId"]!).Should().Equal(taskId);
        }
        finally
        {
            second.Kill();
            await second.WaitForExitAsync();
        }
    }

    private static async Task<Uri> BaseUrlAsync(Process process)
    {
        var banner = await process.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(60));
        return new Uri(Regex.Match(banner ?? string.Empty, @"http://127\.0\.0\.1:\d+/").Value);
    }

    private static async Task<JObject> SendAsync(Uri baseUrl, HttpMethod method, string path, string? body = null)
    {
        using var http = new HttpClient();
        using var request = new HttpRequestMessage(method, new Uri(baseUrl, path));
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", "simulator-key");
        request.Content = body is null ? null : new StringContent(body, System.Text.Encoding.UTF8, "application/json");
        return JObject.Parse(await (await http.SendAsync(request)).Content.ReadAsStringAsync());
    }
}
