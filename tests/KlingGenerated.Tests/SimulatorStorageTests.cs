using System.Net;
using System.Text;
using KlingGenerated.Simulator;
using KlingGenerated.Tests.Infrastructure;

namespace KlingGenerated.Tests;

/// <summary>The state file is a journal: storage grows per change, not per task held, and no unauthenticated request reads it.</summary>
public sealed class SimulatorStorageTests
{
    private const string Model = "kling/v2-5-turbo-text-to-video-pro";

    [Fact]
    public async Task Each_create_appends_one_line_to_the_journal_and_leaves_the_lines_before_it_untouched()
    {
        var path = Path.Combine(KlingProcess.NewDirectory(), "simulator.jsonl");
        await using var simulator = await KlingSimulator.StartAsync(new KlingSimulatorOptions { StateFile = path, RateLimit = 1000 });
        using var http = Client(simulator);

        var before = await File.ReadAllBytesAsync(path);
        for (var i = 0; i < 5; i++)
        {
            (await http.PostAsync("api/v1/jobs/createTask", Body())).EnsureSuccessStatusCode();
        }

        var after = await File.ReadAllBytesAsync(path);
        after.AsSpan(0, before.Length).SequenceEqual(before).Should().BeTrue("a create appends; it never rewrites what was written");
        var added = Encoding.UTF8.GetString(after, before.Length, after.Length - before.Length).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        added.Should().HaveCount(5).And.OnlyContain(line => line.StartsWith("{\"task\":", StringComparison.Ordinal));
    }

    [Fact]
    public async Task An_unauthenticated_file_request_never_reads_the_journal_while_an_authenticated_query_does()
    {
        var path = Path.Combine(KlingProcess.NewDirectory(), "simulator.jsonl");
        await using var simulator = await KlingSimulator.StartAsync(new KlingSimulatorOptions { StateFile = path });
        using var http = Client(simulator);

        // Another writer leaves a line this simulator cannot read: whoever reads the journal now fails.
        await File.AppendAllTextAsync(path, "not json\n");
        using var anonymous = new HttpClient { BaseAddress = simulator.BaseUrl };
        var file = await anonymous.GetAsync("files/task_kling_unknown.mp4");
        var query = await http.GetAsync("api/v1/jobs/recordInfo?taskId=task_kling_unknown");

        file.StatusCode.Should().Be(HttpStatusCode.NotFound, "the file endpoint answers from memory");
        query.StatusCode.Should().Be(HttpStatusCode.InternalServerError, "an authenticated query for a task it lacks reads the new lines of the journal");
    }

    [Fact]
    public async Task A_state_file_of_the_earlier_format_without_a_trailing_newline_is_read_and_rewritten_as_a_journal()
    {
        // Written by the simulator before the journal (format 1: one JSON document, no newline at the end).
        var fixture = await File.ReadAllBytesAsync(Path.Combine(Repo.Root, "tests", "KlingGenerated.Tests", "Fixtures", "simulator-state-format1.json"));
        fixture[^1].Should().NotBe((byte)'\n', "the fixture keeps the earlier version's bytes: no trailing newline");
        var path = Path.Combine(KlingProcess.NewDirectory(), "simulator.json");
        await File.WriteAllBytesAsync(path, fixture);

        await using var simulator = await KlingSimulator.StartAsync(new KlingSimulatorOptions { StateFile = path, TaskRetention = TimeSpan.FromDays(3650) });
        using var http = Client(simulator);
        var done = await http.GetStringAsync("api/v1/jobs/recordInfo?taskId=task_kling_17960400000000001");
        var failed = await http.GetStringAsync("api/v1/jobs/recordInfo?taskId=task_kling_17960400010000002");
        (await http.PostAsync("api/v1/jobs/createTask", Body())).EnsureSuccessStatusCode();

        done.Should().Contain("\"state\":\"success\"", "the earlier version's task is known: {0}", done);
        failed.Should().Contain("\"state\":\"fail\"", "its failing task too: {0}", failed);
        var lines = (await File.ReadAllTextAsync(path)).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        lines[0].Should().Contain("\"format\":2", "the start rewrote the file as a journal");
        lines.Count(l => l.StartsWith("{\"task\":", StringComparison.Ordinal)).Should().Be(3, "both earlier tasks and the new one are kept");
    }

    private static HttpClient Client(KlingSimulator simulator)
    {
        var http = new HttpClient { BaseAddress = simulator.BaseUrl };
        http.DefaultRequestHeaders.Authorization = new("Bearer", simulator.ApiKey);
        return http;
    }

    private static StringContent Body() => new($$$"""{"model":"{{{Model}}}","input":{"prompt":"a boat"}}""", Encoding.UTF8, "application/json");
}
