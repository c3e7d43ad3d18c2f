using KlingGenerated.Tests.Infrastructure;
using Newtonsoft.Json.Linq;
using static KlingGenerated.Tests.Infrastructure.HostileKling;

namespace KlingGenerated.Tests.Cli;

/// <summary>What kling prints when the service's answers are huge, empty or refused for their size.</summary>
public sealed class ServiceTextCliTests
{
    [Fact]
    public async Task A_huge_failMsg_is_printed_cut_to_500_characters_saying_how_many_were_left_out()
    {
        var failMsg = string.Join(' ', Enumerable.Repeat("boom", 4000)) + " \u001b[2Jend"; // 20,006 characters, with a terminal code at its end
        await using var server = Service("task_loud", state: "fail", failMsg: failMsg);

        var result = await KlingInProcess.RunAsync(KlingProcess.NewDirectory(), Against(server, "generate", "a boat", "--no-wait"));
        result.ExitCode.Should().Be(0, result.Stderr);
        var status = await KlingInProcess.RunAsync(KlingProcess.NewDirectory(), Against(server, "wait", "task_loud"));

        status.ExitCode.Should().Be(4, status.Stderr);
        var error = ErrorLines(status.Stderr).Should().ContainSingle().Subject;
        error.Length.Should().BeLessThan(1000);
        error.Should().Contain("boom boom").And.Contain($"… ({failMsg.Length - 500} more characters)").And.NotContain("\u001b");

        var shown = await KlingInProcess.RunAsync(KlingProcess.NewDirectory(), Against(server, "status", "task_loud"));
        shown.Stdout.Length.Should().BeLessThan(1000, "status cuts it the same way");
        shown.Stdout.Should().Contain("more characters)");
    }

    [Fact]
    public async Task Credits_answered_with_null_data_is_a_service_error_naming_the_answer()
    {
        await using var server = Service("task_c", credit: Json(Envelope(null)));

        var result = await KlingInProcess.RunAsync(KlingProcess.NewDirectory(), Against(server, "credits"));

        result.ExitCode.Should().Be(3, result.Stderr);
        result.Stdout.Should().BeEmpty("no empty balance is printed");
        ErrorLines(result.Stderr).Should().ContainSingle().Which.Should().Contain("no balance (\"data\": null)").And.Contain("credits are unknown");
    }

    [Fact]
    public async Task An_HTTP_414_says_the_request_was_too_long_and_nothing_was_created()
    {
        await using var server = Service("task_never", create: HostileServer.Answer(414, "<html><body>414 Request-URI Too Large</body></html>", ("Content-Type", "text/html")));

        var result = await KlingInProcess.RunAsync(KlingProcess.NewDirectory(), Against(server, "generate", "a boat", "--json"));

        result.ExitCode.Should().Be(3, result.Stderr);
        Creates(server).Should().ContainSingle("a request refused for its size is not sent again");
        var error = ErrorLines(result.Stderr).Should().ContainSingle().Subject;
        error.Should().Contain("too long").And.Contain("Shorten the prompt").And.Contain("nothing was created or charged").And.NotContain("Try again later");
        ((bool?)JObject.Parse(result.Stdout)["error"]!["taskMayExist"]).Should().BeFalse();
    }

    [Fact]
    public async Task A_5000_character_task_id_is_cut_in_printed_lines_and_kept_whole_in_the_ledger()
    {
        var id = "task_" + new string('a', 4995);
        await using var server = Service(id, state: "fail", failMsg: "no");
        var dir = KlingProcess.NewDirectory();

        var result = await KlingInProcess.RunAsync(dir, Against(server, "generate", "a boat"));

        result.ExitCode.Should().Be(4, result.Stderr);
        result.Stderr.Should().NotContain(new string('a', 200)).And.Contain("more characters)");
        result.Stderr.Split('\n').Should().OnlyContain(line => line.Length < 1000);

        var tasks = await KlingInProcess.RunAsync(dir, "tasks", "--json");
        tasks.ExitCode.Should().Be(0, tasks.Stderr);
        ((string)JArray.Parse(tasks.Stdout)[0]["taskId"]!).Should().Be(id, "the ledger keeps the whole id");
    }
}
