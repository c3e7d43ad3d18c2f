using Microsoft.Extensions.Time.Testing;
using Newtonsoft.Json.Linq;

namespace KlingGenerated.Tests.Conformance;

/// <summary>openapi/conformance/polling.json: sequences of task-query answers and how WaitForCompletionAsync ends, on a fake clock.</summary>
public sealed class PollingVectorTests
{
    private static readonly DateTimeOffset Start = new(2026, 11, 24, 12, 0, 0, TimeSpan.Zero);

    /// <summary>A client whose task query answers the vector's bodies in order, as the real client maps them.</summary>
    private sealed class ScriptedClient(FakeTimeProvider clock, JArray answers, bool repeatLast) : KlingClient(new HttpClient(), new KlingClientOptions { ApiKey = "k" })
    {
        public List<TimeSpan> QueriedAt { get; } = [];

        public override Task<TaskRecordResponse> GetTaskRecordAsync(string taskId, CancellationToken cancellationToken)
        {
            QueriedAt.Add(clock.GetUtcNow() - Start);
            var index = QueriedAt.Count - 1;
            if (index >= answers.Count && !repeatLast)
            {
                throw new InvalidOperationException($"The vector has only {answers.Count} answers, and the client asked for another.");
            }

            var answer = (JObject)answers[Math.Min(index, answers.Count - 1)];
            var code = (int)answer["code"]!;
            return code == 200
                ? Task.FromResult(answer.ToObject<TaskRecordResponse>(Newtonsoft.Json.JsonSerializer.Create(CallbackSerializerSettings))!)
                : throw new KlingApiException(code, 200, (string?)answer["msg"]);
        }
    }

    private sealed class Progress(Action<TaskRecord> report) : IProgress<TaskRecord>
    {
        public void Report(TaskRecord value) => report(value);
    }

    public static TheoryData<string> Vectors() => ConformanceVectors.Ids("polling");

    [Theory]
    [MemberData(nameof(Vectors))]
    public async Task A_sequence_of_answers_ends_the_wait_as_the_vector_says(string id)
    {
        var vector = ConformanceVectors.Get("polling", id);
        var expect = (JObject)vector["expect"]!;
        var clock = new FakeTimeProvider(Start);
        var client = new ScriptedClient(clock, (JArray)vector["answers"]!, (bool?)vector["repeatLast"] ?? false);
        var options = new KlingPollingOptions { TimeProvider = clock, Jitter = 0 };
        options.NotFoundGracePeriod.Should().Be(TimeSpan.FromSeconds((int)ConformanceVectors.File("polling")["graceSeconds"]!));
        var states = new List<string?>();

        var wait = client.WaitForCompletionAsync("task_kling_1765184398475", options, new Progress(r => states.Add(r.RawState)), CancellationToken.None);
        for (var i = 0; i < 100_000 && !wait.IsCompleted; i++)
        {
            clock.Advance(TimeSpan.FromMilliseconds(100));
            await Task.Yield();
        }

        switch ((string)expect["outcome"]!)
        {
            case "success":
                var record = await wait;
                record.GetResultUrls().Select(u => u.ToString()).Should().Equal(expect["resultUrls"]!.Select(u => (string)u!), id);
                break;
            case "taskFailed":
                var failed = (await wait.Awaiting(w => w).Should().ThrowAsync<KlingApiException>(id)).Which;
                failed.Kind.Should().Be(KlingErrorKind.TaskFailed);
                failed.FailCode.Should().Be((string)expect["failCode"]!);
                failed.FailMessage.Should().Be((string)expect["failMsg"]!);
                failed.TaskId.Should().Be("task_kling_1765184398475");
                failed.Message.Should().Contain("task_kling_1765184398475").And.Contain((string)expect["failMsg"]!);
                break;
            default:
                var error = (await wait.Awaiting(w => w).Should().ThrowAsync<KlingApiException>(id)).Which;
                error.Kind.ToString().Should().Be((string)expect["kind"]!, id);
                break;
        }

        if (expect["queries"] is { } queries)
        {
            client.QueriedAt.Should().HaveCount((int)queries, id);
        }

        if (expect["states"] is JArray expected)
        {
            await Task.Yield(); // Progress<T> may post; ours reports inline, so the list is complete here.
            states.Should().Equal(expected.Select(s => (string?)s), id);
        }

        if (expect["minElapsedSeconds"] is { } elapsed)
        {
            client.QueriedAt[^1].Should().BeGreaterThanOrEqualTo(TimeSpan.FromSeconds((double)elapsed), id);
        }
    }
}
