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

    private static HttpClient Client(KlingSimulator simulator)
    {
        var http = new HttpClient { BaseAddress = simulator.BaseUrl };
        http.DefaultRequestHeaders.Authorization = new("Bearer", simulator.ApiKey);
        return http;
    }

    private static StringContent Body() => new($$$"""{"model":"{{{Model}}}","input":{"prompt":"a boat"}}""", Encoding.UTF8, "application/json");
}
