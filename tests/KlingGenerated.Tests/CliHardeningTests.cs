using System.Diagnostics;
using System.Globalization;
using System.Text;
using KlingGenerated.Cli;
using KlingGenerated.Tests.Infrastructure;
using static KlingGenerated.Tests.Infrastructure.HostileKling;
using Microsoft.Extensions.Time.Testing;
using Newtonsoft.Json.Linq;

namespace KlingGenerated.Tests;

/// <summary>Issue 8's CLI findings: hostile answers, interruptions, typos, numbers, progress and --json, end to end.</summary>
public sealed class CliHardeningTests
{
    /// <summary>Runs the CLI in this process with a forced terminal (or a log when <paramref name="terminal"/> is null).</summary>
    private static async Task<(int ExitCode, string Stdout, string Stderr)> InProcess(CliTerminal? terminal, params string[] args)
    {
        var result = await KlingInProcess.RunAsync(KlingProcess.NewDirectory(), new Dictionary<string, string>(), terminal, args);
        return (result.ExitCode, result.Stdout, result.Stderr);
    }

    // ---- the task id never becomes a path ---------------------------------------------------------

    [Theory]
    [InlineData("../../../../x")]
    [InlineData("ABSOLUTE")]
    [InlineData("ABSOLUTE_MISSING")]
    public async Task a_task_id_that_is_a_path_saves_the_video_inside_out_under_a_safe_name_and_touches_nothing_else(string hostileId)
    {
        var dir = KlingProcess.NewDirectory();
        var victimFolder = Path.Combine(dir, "srv", "videos");
        Directory.CreateDirectory(victimFolder);
        var victim = Path.Combine(victimFolder, "victim.mp4");
        await File.WriteAllTextAsync(victim, "precious");
        var taskId = hostileId switch
        {
            "ABSOLUTE" => Path.Combine(victimFolder, "victim"),
            "ABSOLUTE_MISSING" => Path.Combine(dir, "made", "up", "folders", "v"),
            _ => hostileId,
        };
        await using var server = Service(taskId);
        var outDir = Path.Combine(dir, "a", "b", "c", "d", "out");

        var result = await KlingInProcess.RunAsync(dir, Against(server, "generate", "a boat", "--out", outDir, "--json"));

        result.ExitCode.Should().Be(0, result.Stderr);
        Creates(server).Should().ContainSingle().Which.BodyText.Should().Contain("a boat");
        var file = (string)JObject.Parse(result.Stdout)["file"]!;
        file.Should().Be(Path.Combine(outDir, KlingFileNames.ForTask(taskId)));
        (await File.ReadAllBytesAsync(file)).Should().Equal(Video);
        (await File.ReadAllTextAsync(victim)).Should().Be("precious");
        Directory.Exists(Path.Combine(dir, "made")).Should().BeFalse();
        Directory.GetFiles(dir, "*", SearchOption.AllDirectories).Should().BeEquivalentTo([victim, file]);
    }

    // ---- a broken download destroys nothing -------------------------------------------------------

    [Fact]
    public async Task a_broken_download_keeps_the_existing_video_and_leaves_no_partial_file()
    {
        var dir = KlingProcess.NewDirectory();
        var outDir = Path.Combine(dir, "out");
        Directory.CreateDirectory(outDir);
        var existing = Path.Combine(outDir, "task_good.mp4");
        await File.WriteAllBytesAsync(existing, Video);
        // Two services (one run each): a service that answered one task id to two creates would be flagged as an anomaly.
        await using var first = Service("task_good", video: HostileServer.Truncate(declared: Video.Length, sent: Video[..3]));
        await using var server = Service("task_good", video: HostileServer.Truncate(declared: Video.Length, sent: Video[..3]));
        await using var fresh = Service("task_fresh", video: HostileServer.Truncate(declared: Video.Length, sent: Video[..3]));

        var notAsked = await KlingInProcess.RunAsync(dir, Against(first, "generate", "x", "--out", outDir));
        var overwriting = await KlingInProcess.RunAsync(dir, Against(server, "generate", "x", "--out", outDir, "--overwrite"));
        var newFile = await KlingInProcess.RunAsync(dir, Against(fresh, "generate", "x", "--out", outDir));

        notAsked.ExitCode.Should().Be(3, notAsked.Stderr);
        ErrorLines(notAsked.Stderr).Should().ContainSingle().Which.Should().Contain("already exists and was left as it is").And.Contain("--overwrite");
        overwriting.ExitCode.Should().Be(3, overwriting.Stderr);
        first.Requests.Where(r => r.Path == "/video.mp4").Should().BeEmpty("the run without --overwrite downloads nothing");
        server.Requests.Where(r => r.Path == "/video.mp4").Should().ContainSingle("only the run with --overwrite downloads");
        newFile.ExitCode.Should().Be(3, newFile.Stderr);
        ErrorLines(newFile.Stderr).Should().ContainSingle().Which.Should().Contain("task_fresh").And.Contain("kling download task_fresh");
        (await File.ReadAllBytesAsync(existing)).Should().Equal(Video, "the good file is untouched");
        Directory.GetFiles(outDir).Should().Equal([existing], "no partial or temporary file is left");
    }

    // ---- Ctrl+C and SIGTERM ----------------------------------------------------------------------

    [Trait("Category", "Slow")] // a real process
    [Theory]
    [InlineData("INT", "generating")]
    [InlineData("TERM", "generating")]
    [InlineData("INT", "download")]
    public async Task a_signal_cancels_cleanly_says_the_task_keeps_running_removes_partial_files_and_exits_130(string signal, string during)
    {
        var dir = KlingProcess.NewDirectory();
        var outDir = Path.Combine(dir, "out");
        await using var server = during == "download"
            ? Service("task_sig", video: HostileServer.StallAfterHeaders(declared: Video.Length, sent: Video[..1000]))
            : Service("task_sig", state: "generating");
        using var process = Process.Start(KlingProcess.StartInfo(dir, new Dictionary<string, string>(), Against(server, "generate", "x", "--out", outDir)))!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        try
        {
            var reached = during == "download" ? "/video.mp4" : "/api/v1/jobs/recordInfo";
            for (var i = 0; i < 600 && !server.Requests.Any(r => r.Path == reached); i++)
            {
                await Task.Delay(100);
            }

            server.Requests.Should().Contain(r => r.Path == reached, "the CLI got that far before the signal");
            await Task.Delay(500); // let the first bytes land in a temporary file, if any
            using (var kill = Process.Start("kill", [$"-{signal}", process.Id.ToString(CultureInfo.InvariantCulture)]))
            {
                await kill.WaitForExitAsync();
            }

            await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }

        var error = await stderr;
        process.ExitCode.Should().Be(130, error);
        (await stdout).Should().BeEmpty();
        ErrorLines(error).Should().ContainSingle().Which.Should().Contain("task_sig keeps running").And.Contain("kling wait task_sig");
        Creates(server).Should().ContainSingle("cancelling never resubmits");
        (Directory.Exists(outDir) ? Directory.GetFiles(outDir) : []).Should().BeEmpty("no partial video is left");
    }

    // ---- typos ---------------------------------------------------------------------------------

    [Theory]
    [InlineData("unknown command 'genrate' for `kling`; did you mean 'generate'?", "genrate", "a boat")]
    [InlineData("unknown command 'frobnicate' for `kling`.", "frobnicate")]
    [InlineData("unknown option '--dration' for `kling generate`; did you mean '--duration'?", "generate", "x", "--dration", "5")]
    public async Task a_typo_gets_one_clean_sentence_with_its_suggestion(string expected, params string[] args)
    {
        var result = await KlingInProcess.RunAsync(KlingProcess.NewDirectory(), args);

        result.ExitCode.Should().Be(2, result.Stderr);
        ErrorLines(result.Stderr).Should().ContainSingle().Which.Should().Contain(expected).And.NotContain("Required command was not provided");
    }

    // ---- numbers -------------------------------------------------------------------------------

    [Theory]
    [InlineData("abc", "--cfg-scale must be a number from 0 to 1 such as 0.5, not 'abc'")]
    [InlineData("0,5", "not '0,5' (write decimals with a dot, such as 0.5)")]
    public async Task a_number_that_is_not_one_is_refused_in_the_users_terms_and_nothing_is_sent(string value, string expected)
    {
        await using var server = Service("task_n");

        var result = await KlingInProcess.RunAsync(KlingProcess.NewDirectory(), Against(server, "generate", "x", "--cfg-scale", value));

        result.ExitCode.Should().Be(2, result.Stderr);
        ErrorLines(result.Stderr).Should().ContainSingle().Which.Should().Contain(expected).And.NotContain("System.");
        server.Requests.Should().BeEmpty();
    }

    [Fact]
    public async Task numbers_are_read_with_the_invariant_culture_whatever_the_users_culture()
    {
        await using var server = Service("task_culture");
        var culture = CultureInfo.CurrentCulture;
        CultureInfo.CurrentCulture = CultureInfo.GetCultureInfo("de-DE");
        try
        {
            var result = await InProcess(null, Against(server, "generate", "x", "--cfg-scale", "0.5", "--timeout", "1.5", "--no-wait"));

            result.ExitCode.Should().Be(0, result.Stderr);
        }
        finally
        {
            CultureInfo.CurrentCulture = culture;
        }

        ((double)JObject.Parse(Creates(server).Single().BodyText)["input"]!["cfg_scale"]!).Should().Be(0.5);
    }

    // ---- checks before paying --------------------------------------------------------------------

    [Theory]
    [InlineData("the prompt is only spaces", "generate", "   ")]
    [InlineData("--out '/dev/null/x' is not a folder the video can be saved in", "generate", "a boat", "--out", "/dev/null/x")]
    public async Task a_blank_prompt_or_an_unwritable_out_is_refused_before_anything_is_sent(string expected, params string[] args)
    {
        await using var server = Service("task_paid");

        var result = await KlingInProcess.RunAsync(KlingProcess.NewDirectory(), Against(server, args));

        result.ExitCode.Should().Be(2, result.Stderr);
        ErrorLines(result.Stderr).Should().ContainSingle().Which.Should().Contain(expected).And.Contain("Nothing was sent");
        server.Requests.Should().BeEmpty("nothing was submitted, so nothing was paid for");
    }

    // ---- progress --------------------------------------------------------------------------------

    private static TaskRecord Waiting(string taskId = "task_kling_1234567890") => new() { TaskId = taskId, RawState = "generating" };

    private static string Visible(string text) => System.Text.RegularExpressions.Regex.Replace(text, "\u001b\\[[0-9;?]*[A-Za-z]", string.Empty);

    [Fact]
    public void the_elapsed_time_ticks_every_second_between_polls()
    {
        var clock = new FakeTimeProvider();
        var error = new StringWriter();
        using var progress = new ProgressDisplay(error, new CliTerminal(true, true, () => 80, clock));

        progress.Report(Waiting());
        for (var second = 1; second <= 3; second++)
        {
            clock.Advance(TimeSpan.FromSeconds(1));
        }

        var frames = Visible(error.ToString()).Split('\r', StringSplitOptions.RemoveEmptyEntries).Select(f => f.TrimEnd()).ToList();
        frames.Should().Equal(
            "task_kling_1234567890  generating    0 s",
            "task_kling_1234567890  generating    1 s",
            "task_kling_1234567890  generating    2 s",
            "task_kling_1234567890  generating    3 s");
    }

    [Fact]
    public void a_50_column_terminal_gets_one_line_redrawn_in_place_with_the_download_progress()
    {
        var clock = new FakeTimeProvider();
        var error = new StringWriter();
        using (var progress = new ProgressDisplay(error, new CliTerminal(true, true, () => 50, clock)))
        {
            progress.Report(Waiting("task_" + new string('7', 60)));
            clock.Advance(TimeSpan.FromSeconds(1));
            progress.Report(Waiting("task_" + new string('7', 60)));
            progress.ReportDownload(3 * 1024 * 1024, 12 * 1024 * 1024);
            clock.Advance(TimeSpan.FromSeconds(1));
            progress.ReportDownload(12 * 1024 * 1024, 12 * 1024 * 1024);
        }

        var text = Visible(error.ToString());
        text.TrimEnd('\n').Should().NotContain("\n", "the live line is redrawn in place, never wrapped onto new lines");
        var frames = text.TrimEnd('\n').Split('\r', StringSplitOptions.RemoveEmptyEntries);
        frames.Should().HaveCountGreaterThanOrEqualTo(5).And.OnlyContain(f => f.Length <= 49, "a 50-column terminal wraps a line that reaches its last column");
        frames.Should().Contain(f => f.Contains("3.0 MiB/12.0 MiB 25%")).And.Contain(f => f.Contains("12.0 MiB/12.0 MiB 100%"));
    }

    [Fact]
    public async Task without_a_terminal_the_log_shows_each_state_once_and_the_download()
    {
        await using var server = Service("task_log");

        var result = await KlingInProcess.RunAsync(KlingProcess.NewDirectory(), Against(server, "generate", "x"));

        result.ExitCode.Should().Be(0, result.Stderr);
        result.Stderr.Should().Contain("task_log: success").And.Contain("task_log: downloading ").And.Contain("task_log: downloaded ");
    }

    [Fact]
    public void without_a_terminal_a_long_wait_between_states_still_logs_a_line_every_30_seconds()
    {
        var clock = new Microsoft.Extensions.Time.Testing.FakeTimeProvider();
        var log = new StringWriter();
        using var progress = new ProgressDisplay(log, new CliTerminal(false, false, () => 80, clock));

        progress.Report(new TaskRecord { TaskId = "task_long", State = TaskState.Generating, RawState = "generating" });
        clock.Advance(TimeSpan.FromSeconds(30));
        clock.Advance(TimeSpan.FromSeconds(30));
        clock.Advance(TimeSpan.FromSeconds(5));

        var lines = log.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        lines.Should().HaveCount(3, "the state once, then a line at 30 s and at 60 s");
        lines[1].Should().Contain("task_long: still generating 30 s");
        lines[2].Should().Contain("task_long: still generating 60 s");
    }

    // ---- service text never reaches the terminal raw -----------------------------------------

    private const string HostileId = "[red]x[/ \u001b[2J\u001b]0;pwned\u0007\r\nerror: forged by the service \u202e";

    [Fact]
    public async Task markup_and_control_characters_in_a_task_id_are_neutralised_on_a_forced_ansi_terminal()
    {
        await using var server = Service(HostileId);
        var dir = KlingProcess.NewDirectory();

        var result = await InProcess(new CliTerminal(true, true, () => 80, TimeProvider.System), Against(server, "generate", "x", "--out", Path.Combine(dir, "out")));

        result.ExitCode.Should().Be(0, result.Stderr);
        (result.Stdout + result.Stderr).Should().NotContain("\u001b[2J").And.NotContain("\u001b]0;").And.NotContain("\u0007").And.NotContain("\u202e")
            .And.NotContain("\nerror: forged").And.NotContain("malformed");
        result.Stderr.Should().Contain("[red]x[/", "the text is shown as it is, not as markup");
        Directory.GetFiles(Path.Combine(dir, "out")).Should().Equal([Path.Combine(dir, "out", KlingFileNames.ForTask(HostileId))]);
    }

    [Trait("Category", "Slow")] // a real process
    [Fact]
    public async Task on_a_real_terminal_a_hostile_task_id_neither_crashes_generate_nor_forges_lines()
    {
        await using var server = Service(HostileId, failMsg: "bad\u001b[31m\r\nerror: forged failMsg", state: "fail");
        var dir = KlingProcess.NewDirectory();
        var kling = string.Join(" ", new[] { "dotnet", Path.Combine(AppContext.BaseDirectory, "kling.dll") }.Concat(Against(server, "generate", "x")).Select(a => $"'{a}'"));

        var (exitCode, terminal) = await UnderScript(dir, $"stty cols 50; exec {kling}");

        exitCode.Should().Be(4, terminal);
        terminal.Should().NotContain("\u001b[2J").And.NotContain("\u001b]0;").And.NotContain("\u001b[31m").And.NotContain("malformed");
        terminal.Split('\n').Should().NotContain(l => l.TrimStart('\r').StartsWith("error: forged", StringComparison.Ordinal));
        terminal.Should().Contain("error: task [red]x[/").And.Contain("failCode 500");
    }

    /// <summary>Runs a shell command under `script`, so the CLI's stdout and stderr are a real pseudo-terminal.</summary>
    private static async Task<(int ExitCode, string Terminal)> UnderScript(string dir, string shellCommand)
    {
        var start = new ProcessStartInfo("script", ["-q", "-e", "-c", shellCommand, "/dev/null"]) { WorkingDirectory = dir, RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        start.Environment.Remove("KIE_API_KEY");
        start.Environment.Remove("KIE_API_KEY_FILE");
        start.Environment.Remove("KIE_BASE_URL");
        start.Environment["TERM"] = "xterm-256color";
        Process process;
        try
        {
            process = Process.Start(start)!;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            throw new InvalidOperationException("`script` is not installed: install util-linux's bsdutils (apt-get install bsdutils).");
        }

        using (process)
        {
            var output = process.StandardOutput.ReadToEndAsync();
            var error = process.StandardError.ReadToEndAsync();
            await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(2));
            return (process.ExitCode, await output + await error);
        }
    }

    // ---- --json ----------------------------------------------------------------------------------

    [Fact]
    public async Task with_json_a_failed_task_prints_a_json_error_with_its_task_id_and_keeps_exit_4()
    {
        await using var server = Service("task_failed_json", state: "fail", failMsg: "content policy.");

        var result = await KlingInProcess.RunAsync(KlingProcess.NewDirectory(), Against(server, "generate", "x", "--json"));

        result.ExitCode.Should().Be(4, result.Stderr);
        var error = (JObject)JObject.Parse(result.Stdout)["error"]!;
        ((int)error["exitCode"]!).Should().Be(4);
        ((string)error["kind"]!).Should().Be("task-failed");
        ((string)error["taskId"]!).Should().Be("task_failed_json");
        ((string)error["failCode"]!).Should().Be("500");
        ((string)error["failMsg"]!).Should().Be("content policy.");
        ErrorLines(result.Stderr).Should().ContainSingle("stderr keeps the one line");
    }

    [Fact]
    public async Task with_json_an_invalid_input_or_service_error_is_a_json_object_with_the_same_exit_code()
    {
        var invalid = await KlingInProcess.RunAsync(KlingProcess.NewDirectory(), "generate", "x", "--cfg-scale", "2", "--json");
        var unreachable = await KlingInProcess.RunAsync(KlingProcess.NewDirectory(), "credits", "--api-key", "k", "--base-url", "http://127.0.0.1:9/", "--json");

        invalid.ExitCode.Should().Be(2);
        ((string)JObject.Parse(invalid.Stdout)["error"]!["kind"]!).Should().Be("invalid-input");
        unreachable.ExitCode.Should().Be(3);
        ((int)JObject.Parse(unreachable.Stdout)["error"]!["exitCode"]!).Should().Be(3);
    }

    [Fact]
    public async Task status_json_parses_param_and_resultJson_like_generate_json()
    {
        await using var server = Service("task_json");
        var dir = KlingProcess.NewDirectory();

        var generated = await KlingInProcess.RunAsync(dir, Against(server, "generate", "x", "--json"));
        var status = await KlingInProcess.RunAsync(dir, Against(server, "status", "task_json", "--json"));

        status.ExitCode.Should().Be(0, status.Stderr);
        var record = JObject.Parse(status.Stdout);
        record["param"].Should().BeOfType<JObject>().Which["model"]!.Value<string>().Should().Be(Model);
        record["resultJson"].Should().BeOfType<JObject>();
        record["resultUrls"].Should().BeEquivalentTo(JObject.Parse(generated.Stdout)["resultUrls"], "both commands give the URLs the same way");
        ((string)record["state"]!).Should().Be("success");
    }

    // ---- small message errors --------------------------------------------------------------------

    [Theory]
    [InlineData("no data", null)]
    [InlineData("an empty task id", "")]
    public async Task a_create_answer_without_a_task_id_says_a_task_may_exist_without_a_raw_dotnet_message(string expected, string? taskId)
    {
        await using var server = Service("unused", create: Json(Envelope(taskId is null ? null : new { taskId })));

        var result = await KlingInProcess.RunAsync(KlingProcess.NewDirectory(), Against(server, "generate", "x"));

        result.ExitCode.Should().Be(3, result.Stderr);
        ErrorLines(result.Stderr).Should().ContainSingle().Which.Should().Contain(expected).And.Contain("may have been created")
            .And.NotContain("Object reference").And.NotContain("Value cannot be").And.NotContain("(Parameter");
        Creates(server).Should().ContainSingle("it is never sent twice");
    }

    [Fact]
    public async Task the_timeout_message_names_the_timeout_option()
    {
        await using var server = Service("task_slow", state: "generating");

        var result = await KlingInProcess.RunAsync(KlingProcess.NewDirectory(), Against(server, "generate", "x", "--timeout", "0.02"));

        result.ExitCode.Should().Be(5, result.Stderr);
        ErrorLines(result.Stderr).Should().ContainSingle().Which.Should().Contain("--timeout").And.Contain("kling wait task_slow")
            .And.Contain("last state: generating").And.NotContain("KlingPollingOptions");
    }

    [Fact]
    public async Task a_fail_message_ending_in_a_period_gets_no_second_one()
    {
        await using var server = Service("task_dot", state: "fail", failMsg: "Internal failure (fault generation-failed).");

        var result = await KlingInProcess.RunAsync(KlingProcess.NewDirectory(), Against(server, "generate", "x"));

        result.ExitCode.Should().Be(4, result.Stderr);
        ErrorLines(result.Stderr).Should().ContainSingle().Which.Should().Contain("(fault generation-failed). The task is final").And.NotContain("..");
    }

    [Theory]
    [InlineData("api/v1")]
    [InlineData("api/v1/")]
    public async Task a_base_url_ending_in_api_v1_calls_the_right_paths(string suffix)
    {
        await using var server = Service("unused");

        var result = await KlingInProcess.RunAsync(KlingProcess.NewDirectory(), "credits", "--base-url", server.BaseUrl + suffix, "--api-key", "k");

        result.ExitCode.Should().Be(0, result.Stderr);
        result.Stdout.Trim().Should().Be("42");
        server.Requests.Select(r => r.Path).Should().Equal("/api/v1/chat/credit");
    }

    [Fact]
    public async Task credits_answered_not_found_points_at_the_base_url_not_a_task_id()
    {
        await using var server = HostileServer.Start(Json(Envelope(null, 404, "Not found: GET /elsewhere/api/v1/chat/credit is not an endpoint of the service.")));

        var result = await KlingInProcess.RunAsync(KlingProcess.NewDirectory(), "credits", "--base-url", server.BaseUrl + "elsewhere/", "--api-key", "k");

        result.ExitCode.Should().Be(3, result.Stderr);
        ErrorLines(result.Stderr).Should().ContainSingle().Which.Should().Contain("Check --base-url").And.NotContain("task id");
    }

    // ---- the key off the command line ----------------------------------------------------------

    [Fact]
    public async Task the_key_comes_from_api_key_file_or_KIE_API_KEY_FILE_and_never_appears_in_the_arguments()
    {
        await using var server = Service("unused");
        var dir = KlingProcess.NewDirectory();
        var keyFile = Path.Combine(dir, "key");
        await File.WriteAllTextAsync(keyFile, "sk-from-file-1\n");
        var envFile = Path.Combine(dir, "env-key");
        await File.WriteAllTextAsync(envFile, "sk-from-env-file-2");

        var byOption = await KlingInProcess.RunAsync(dir, "credits", "--base-url", server.BaseUrl.ToString(), "--api-key-file", keyFile);
        var byEnvironment = await KlingInProcess.RunAsync(dir, new Dictionary<string, string> { ["KIE_API_KEY_FILE"] = envFile }, "credits", "--base-url", server.BaseUrl.ToString());
        var missing = await KlingInProcess.RunAsync(dir, "credits", "--base-url", server.BaseUrl.ToString(), "--api-key-file", Path.Combine(dir, "nope"));

        byOption.ExitCode.Should().Be(0, byOption.Stderr);
        byEnvironment.ExitCode.Should().Be(0, byEnvironment.Stderr);
        server.Requests.Select(r => r.Header("Authorization")).Should().Equal("Bearer sk-from-file-1", "Bearer sk-from-env-file-2");
        missing.ExitCode.Should().Be(2);
        ErrorLines(missing.Stderr).Should().ContainSingle().Which.Should().Contain("--api-key-file").And.Contain("nope");
        (byOption.Stdout + byOption.Stderr + byEnvironment.Stderr).Should().NotContain("sk-from");
    }

    // ---- `kling simulator` lists no option it ignores -------------------------------

    [Theory]
    [InlineData("--base-url")]
    [InlineData("--api-key-file")]
    [InlineData("--json")]
    public async Task kling_simulator_does_not_offer_the_service_options_it_would_ignore(string option)
    {
        var help = await InProcess(null, "simulator", "--help");
        var given = await InProcess(null, "simulator", option, "x");

        help.Stdout.Should().Contain("--urls");
        help.Stdout.Split('\n').Select(l => l.TrimStart()).Should().NotContain(l => l.StartsWith(option + " ", StringComparison.Ordinal), "the help lists no option the simulator ignores");
        given.ExitCode.Should().Be(2);
        ErrorLines(given.Stderr).Should().ContainSingle().Which.Should().Contain($"'{option}'");
    }
}
