namespace KlingGenerated.Tests;

/// <summary>
/// A callback body with a key twice is refused, as the simulator's StrictJson refuses such requests: otherwise the
/// signature is checked against the first task id while a lenient deserializer builds the record from the second. Keys
/// that differ only in case (taskId, TaskId) count as the same key: Newtonsoft matches members case-insensitively.
/// </summary>
public sealed class WebhookDuplicateKeyTests
{
    private const string Key = "example-hmac-key";
    private const string TaskId = "task_kling_genuine";
    private const long Timestamp = 1765184460;
    private static readonly DateTimeOffset SignedAt = DateTimeOffset.FromUnixTimeSeconds(Timestamp);

    public static TheoryData<string, string> Bodies() => new()
    {
        { """{"code":200,"msg":"ok","data":{"taskId":"task_kling_genuine","state":"success"},"data":{"taskId":"task_kling_other","state":"fail","failMsg":"forged"}}""", "'data' twice" },
        { """{"code":200,"taskId":"task_kling_genuine","taskId":"task_kling_other"}""", "'taskId' twice" },
        { """{"code":200,"code":501,"data":{"taskId":"task_kling_genuine","state":"success"}}""", "'code' twice" },
        { """{"code":200,"data":{"taskId":"task_kling_genuine","taskId":"task_kling_other","state":"success"}}""", "'data.taskId' twice" },
        { """{"code":200,"data":{"task_id":"task_kling_genuine","task_id":"task_kling_other","state":"success"}}""", "'data.task_id' twice" },
        { """{"code":200,"data":{"taskId":"task_kling_genuine","state":"fail","state":"success","resultJson":"{}"}}""", "twice in one object (at data.state)" },
        { """{"code":200,"data":{"taskId":"task_kling_genuine","TaskId":"task_kling_other","state":"success"}}""", "'taskId' and 'TaskId' in data, which differ only in case" },
        { """{"code":200,"data":{"taskId":"task_kling_genuine","state":"success"},"Data":{"taskId":"task_kling_other","state":"fail"}}""", "'data' and 'Data' at the top level" },
        { """{"code":200,"data":{"taskId":"task_kling_genuine","state":"success","State":"fail"}}""", "'state' and 'State' in data" },
    };

    [Theory]
    [MemberData(nameof(Bodies))]
    public void A_signed_callback_with_a_key_twice_is_rejected_naming_the_key(string body, string named)
    {
        var signature = KlingWebhook.ComputeSignature(TaskId, Timestamp, Key);

        FluentActions.Invoking(() => KlingWebhook.ParseAndVerify(body, Timestamp.ToString(System.Globalization.CultureInfo.InvariantCulture), signature, Key, now: SignedAt))
            .Should().Throw<KlingWebhookException>().WithMessage($"*{named}*");
    }

    [Theory]
    [MemberData(nameof(Bodies))]
    public void An_unsigned_callback_with_a_key_twice_is_rejected_too(string body, string named)
    {
        FluentActions.Invoking(() => KlingWebhook.Parse(body)).Should().Throw<KlingWebhookException>().WithMessage($"*{named}*");
    }

    [Fact]
    public void The_same_body_with_each_key_once_is_accepted_so_the_tests_above_can_fail()
    {
        var body = """{"code":200,"msg":"ok","data":{"taskId":"task_kling_genuine","state":"success","resultJson":"{\"resultUrls\":[\"https://example.com/a.mp4\"]}"}}""";
        var signature = KlingWebhook.ComputeSignature(TaskId, Timestamp, Key);

        var callback = KlingWebhook.ParseAndVerify(body, Timestamp.ToString(System.Globalization.CultureInfo.InvariantCulture), signature, Key, now: SignedAt);

        callback.TaskId.Should().Be(TaskId);
        callback.Record.State.Should().Be(TaskState.Success);
    }
}
