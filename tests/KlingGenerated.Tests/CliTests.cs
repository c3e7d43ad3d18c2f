using System.Diagnostics;
using KlingGenerated.Simulator;
using KlingGenerated.Tests.Infrastructure;
using Newtonsoft.Json.Linq;

namespace KlingGenerated.Tests;

/// <summary>The `kling` CLI end to end, as a process: exit codes, one-line errors, and the offline MP4.</summary>
public sealed class CliTests
{
    [Trait("Category", "Slow")] // a real process
    [Fact]
    public async Task The_offline_default_writes_a_valid_playable_MP4_and_prints_its_path()
    {
        var dir = KlingProcess.NewDirectory();

        var result = await KlingProcess.RunAsync(dir, "generate", "A paper boat drifting down a rain-soaked street at dusk");

        result.ExitCode.Should().Be(0, result.Stderr);
        result.Stderr.Should().Contain("built-in simulator").And.Contain("success");
        var path = result.Stdout.Trim();
        path.Should().StartWith(Path.Combine(dir, "out")).And.EndWith(".mp4");
        Mp4.ShouldBeThePlayableSample(await File.ReadAllBytesAsync(path));
    }

    [Fact]
    public async Task Json_output_is_machine_readable_and_no_wait_prints_only_the_task_id()
    {
        var dir = KlingProcess.NewDirectory();

        var generated = await KlingInProcess.RunAsync(dir, "generate", "A lighthouse in fog", "--json", "--aspect-ratio", "9:16", "--duration", "10", "--cfg-scale", "0.7", "--out", "videos");
        var queued = await KlingInProcess.RunAsync(dir, "generate", "A lighthouse in fog", "--no-wait");

        generated.ExitCode.Should().Be(0, generated.Stderr);
        var json = JObject.Parse(generated.Stdout);
        ((string)json["state"]!).Should().Be("success");
        File.Exists((string)json["file"]!).Should().BeTrue();
        queued.ExitCode.Should().Be(0, queued.Stderr);
        queued.Stdout.Trim().Should().MatchRegex("^task_kling_[0-9]+$");
    }

    [Theory]
    [InlineData("input.cfg_scale", "generate", "x", "--cfg-scale", "0.55")]
    [InlineData("input.prompt", "generate", "")]
    [InlineData("'7'", "generate", "x", "--duration", "7")]
    [InlineData("callBackUrl", "generate", "x", "--callback-url", "/relative/hook")]
    [InlineData("--base-url", "credits", "--api-key", "k", "--base-url", "not a url")]
    [InlineData("no API key", "credits", "--base-url", "http://127.0.0.1:4010/")]
    public async Task Invalid_input_exits_2_with_one_clear_line_and_sends_nothing(string expected, params string[] args)
    {
        var result = await KlingInProcess.RunAsync(KlingProcess.NewDirectory(), args);

        result.ExitCode.Should().Be(2, result.Stderr);
        var errorLines = result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => l.StartsWith("error:", StringComparison.Ordinal)).ToList();
        errorLines.Should().ContainSingle().Which.Should().Contain(expected);
        result.Stderr.Should().NotContain("   at ", "no stack trace without --verbose");
        result.Stderr.Should().NotContain("Submitted task");
    }

    [Fact]
    public async Task An_unreachable_service_exits_3_and_says_what_to_check()
    {
        var result = await KlingInProcess.RunAsync(KlingProcess.NewDirectory(), "credits", "--api-key", "k", "--base-url", "http://127.0.0.1:9/");

        result.ExitCode.Should().Be(3);
        result.Stderr.Trim().Should().StartWith("error: could not reach the service").And.Contain("--base-url");
    }

    [Fact]
    public async Task A_failed_task_exits_4_and_a_timeout_exits_5()
    {
        await using var failing = await KlingSimulator.StartAsync(new KlingSimulatorOptions { Fault = "generation-failed", WaitingFor = TimeSpan.FromMilliseconds(100), QueuingFor = TimeSpan.Zero, GeneratingFor = TimeSpan.FromMilliseconds(200) });
        await using var slow = await KlingSimulator.StartAsync(new KlingSimulatorOptions { GeneratingFor = TimeSpan.FromMinutes(10) });

        var failed = await KlingInProcess.RunAsync(KlingProcess.NewDirectory(), "generate", "x", "--base-url", failing.BaseUrl.ToString(), "--api-key", failing.ApiKey);
        var timedOut = await KlingInProcess.RunAsync(KlingProcess.NewDirectory(), "generate", "x", "--base-url", slow.BaseUrl.ToString(), "--api-key", slow.ApiKey, "--timeout", "0.05");

        failed.ExitCode.Should().Be(4, failed.Stderr);
        failed.Stderr.Should().Contain("failCode 500");
        timedOut.ExitCode.Should().Be(5, timedOut.Stderr);
        timedOut.Stderr.Should().Contain("did not finish").And.Contain("kling wait");
    }

    [Fact]
    public async Task The_API_key_is_never_printed_even_with_verbose()
    {
        await using var simulator = await KlingSimulator.StartAsync();
        const string secret = "sk-live-SECRET-4242";

        var result = await KlingInProcess.RunAsync(KlingProcess.NewDirectory(), "credits", "--verbose", "--base-url", simulator.BaseUrl.ToString(), "--api-key", secret);

        result.ExitCode.Should().Be(3);
        result.Stderr.Should().Contain("Unauthorized").And.Contain("   at ", "--verbose prints the stack trace");
        (result.Stdout + result.Stderr).Should().NotContain(secret);
    }

    [Fact]
    public async Task Status_and_credits_read_from_the_service()
    {
        await using var simulator = await KlingSimulator.StartAsync(new KlingSimulatorOptions { WaitingFor = TimeSpan.FromMinutes(1) });
        var common = new[] { "--base-url", simulator.BaseUrl.ToString(), "--api-key", simulator.ApiKey };
        var dir = KlingProcess.NewDirectory();
        var taskId = (await KlingInProcess.RunAsync(dir, ["generate", "x", "--no-wait", .. common])).Stdout.Trim();

        var status = await KlingInProcess.RunAsync(dir, ["status", taskId, "--json", .. common]);
        var credits = await KlingInProcess.RunAsync(dir, ["credits", .. common]);

        status.ExitCode.Should().Be(0, status.Stderr);
        ((string)JObject.Parse(status.Stdout)["state"]!).Should().Be("waiting");
        credits.Stdout.Trim().Should().Be((new KlingSimulatorOptions().Credits - 42).ToString());
    }

    [Trait("Category", "Slow")] // a real process
    [Theory]
    [InlineData("kling.dll", "simulator")]
    [InlineData("KlingGenerated.Simulator.dll")]
    public async Task The_standalone_simulator_serves_ports_on_loopback_and_stops_on_SIGTERM(string program, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[] { Path.Combine(AppContext.BaseDirectory, program) }.Concat(args).Concat(["--urls", "http://127.0.0.1:0"]))
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        try
        {
            var banner = await process.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(30));
            var baseUrl = new Uri(System.Text.RegularExpressions.Regex.Match(banner!, @"http://127\.0\.0\.1:\d+/").Value);
            using var http = new HttpClient();
            using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(baseUrl, "api/v1/chat/credit"));
            request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", "simulator-key");
            var body = JObject.Parse(await (await http.SendAsync(request)).Content.ReadAsStringAsync());
            ((int)body["code"]!).Should().Be(200);

            using (var kill = Process.Start("kill", ["-TERM", process.Id.ToString()]))
            {
                await kill.WaitForExitAsync();
            }

            await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
            process.ExitCode.Should().BeOneOf([0, 143], "it stopped cleanly (143 is the shell convention for SIGTERM)");
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }
    }
}
