using System.Diagnostics;
using KlingGenerated.Tests.Infrastructure;
using Newtonsoft.Json.Linq;
using static KlingGenerated.Tests.Infrastructure.HostileKling;

namespace KlingGenerated.Tests.Cli;

/// <summary>What the CLI prints and records when the service answers as a hostile or broken one would (a newcomer's outside-in try).</summary>
public sealed class HostileServiceCliTests
{
    [Theory]
    [InlineData("abd;touch${IFS}pwned;#")]
    [InlineData("q'uote;echo INJECTED")]
    [InlineData("$(touch pwned)`touch pwned2`")]
    [InlineData("--help")]
    [InlineData("-x")]
    public async Task A_printed_kling_wait_command_pastes_into_bash_as_exactly_that_task_id(string hostileId)
    {
        await using var server = Service(hostileId);
        var dir = KlingProcess.NewDirectory();

        var result = await KlingInProcess.RunAsync(dir, Against(server, "generate", "a boat", "--no-wait"));

        result.ExitCode.Should().Be(0, result.Stderr);
        var printed = System.Text.RegularExpressions.Regex.Match(result.Stderr, "`(kling wait .*)` waits for it"); // greedy: the id may hold a backtick
        printed.Success.Should().BeTrue(result.Stderr);
        var words = await BashWordsAsync(printed.Groups[1].Value["kling ".Length..], dir);
        words.Should().Equal(hostileId.StartsWith('-') ? ["wait", "--", hostileId] : ["wait", hostileId]);
        Directory.GetFiles(dir, "pwned*").Should().BeEmpty("pasting the command ran nothing else");

        // And the command does what it says: it waits for that task and downloads it.
        var resumed = await KlingInProcess.RunAsync(dir, ["--base-url", server.BaseUrl.ToString(), "--api-key", "test-key", words[0], "--out", Path.Combine(dir, "out"), .. words[1..]]);
        resumed.ExitCode.Should().Be(0, resumed.Stderr);
        File.Exists(resumed.Stdout.Trim()).Should().BeTrue(resumed.Stdout);
    }

    [Fact]
    public async Task A_failed_query_after_the_create_says_how_to_follow_the_task_and_that_generate_again_would_pay()
    {
        // The task exists (createTask answered its id); then every query is refused.
        await using var server = Service("task_q", record: Json(Envelope(null, code: 401, msg: "You do not have access permissions")));

        var result = await KlingInProcess.RunAsync(KlingProcess.NewDirectory(), Against(server, "generate", "a boat", "--json"));

        result.ExitCode.Should().Be(3, result.Stderr);
        Creates(server).Should().ContainSingle();
        var error = ErrorLines(result.Stderr).Should().ContainSingle().Subject;
        error.Should().Contain("Task task_q exists and keeps running: `kling wait task_q` follows it").And.Contain("running generate again would pay for a new task");
        var json = (JObject)JObject.Parse(result.Stdout)["error"]!;
        ((string)json["taskId"]!).Should().Be("task_q");
        ((bool?)json["taskMayExist"]).Should().BeTrue();
    }

    [Fact]
    public async Task Status_with_several_ids_shows_each_one_and_reports_the_one_that_failed_in_its_place()
    {
        await using var server = Service("task_ok", state: "generating");

        var result = await KlingInProcess.RunAsync(KlingProcess.NewDirectory(), Against(server, "status", "task_ok", "task_other", "task_ok", "--json"));

        result.ExitCode.Should().Be(3, result.Stderr);
        var array = JArray.Parse(result.Stdout.Trim());
        array.Should().HaveCount(3);
        ((string)array[0]["taskId"]!).Should().Be("task_ok");
        ((string)array[1]["error"]!["taskId"]!).Should().Be("task_other");
        ((string)array[2]["taskId"]!).Should().Be("task_ok", "the ids after a failure are still asked");
        server.Requests.Count(r => r.Path == "/api/v1/jobs/recordInfo").Should().Be(3);
        ErrorLines(result.Stderr).Should().ContainSingle().Which.Should().Contain("task_other");
    }

    [Fact]
    public async Task The_balance_warning_of_a_batch_prints_no_control_character_the_service_sent()
    {
        var dir = KlingProcess.NewDirectory();
        var file = Path.Combine(dir, "lines.jsonl");
        await File.WriteAllTextAsync(file, """{"prompt":"a boat"}""" + "\n");
        await using var server = Service("task_b", credit: Json(Envelope(null, code: 505, msg: "x\u001b]0;OWNED\u0007 boom")));

        var result = await KlingInProcess.RunAsync(dir, Against(server, "batch", file, "--out", Path.Combine(dir, "out")));

        result.Stderr.Should().Contain("warning: the balance is unknown").And.Contain("OWNED");
        result.Stderr.Should().NotContain("\u001b").And.NotContain("\u0007");
    }

    [Fact]
    public async Task A_create_answered_with_a_code_the_document_does_not_list_is_uncertain_and_a_rerun_does_not_pay_again()
    {
        var dir = KlingProcess.NewDirectory();
        var file = Path.Combine(dir, "lines.jsonl");
        await File.WriteAllTextAsync(file, """{"prompt":"a boat"}""" + "\n");
        await using var server = Service("task_u", create: Json(Envelope(null, code: 520, msg: "Server exception (task write failed)")));
        string[] args = Against(server, "batch", file, "--out", Path.Combine(dir, "out"));

        var first = await KlingInProcess.RunAsync(dir, args);
        var second = await KlingInProcess.RunAsync(dir, args);

        first.Stderr.Should().Contain("uncertain");
        second.Stderr.Should().Contain("uncertain");
        Creates(server).Should().ContainSingle("a task may exist after an unlisted 5xx code, so the rerun sends nothing");
    }

    /// <summary>The words bash makes of <paramref name="arguments"/>, as a pasted command line would get them (nothing else run: printf only prints).</summary>
    private static async Task<string[]> BashWordsAsync(string arguments, string workingDirectory)
    {
        var start = new ProcessStartInfo("bash", ["-c", "printf '%s\\n' " + arguments]) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = workingDirectory };
        using var bash = Process.Start(start)!;
        var stdout = await bash.StandardOutput.ReadToEndAsync();
        await bash.WaitForExitAsync();
        bash.ExitCode.Should().Be(0, await bash.StandardError.ReadToEndAsync());
        return stdout.Split('\n', StringSplitOptions.None)[..^1];
    }
}
