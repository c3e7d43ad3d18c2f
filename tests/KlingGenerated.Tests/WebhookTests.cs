using KlingGenerated.Tests.Infrastructure;
using Newtonsoft.Json.Linq;

namespace KlingGenerated.Tests;

/// <summary>Webhook verification beyond the conformance vectors (Conformance/WebhookVectorTests.cs): the spec example, bodies, duplicates.</summary>
public sealed class WebhookTests
{
    private const string Key = "example-hmac-key";
    private const string TaskId = "task_kling_1765184398475";
    private const long Timestamp = 1765184460;

    // printf 'task_kling_1765184398475.1765184460' | openssl dgst -sha256 -hmac 'example-hmac-key' -binary | base64
    private const string OpensslSignature = "dd9eLDJhBXrjvVesRGamavVllA/pIMSzdiwvUPeJUqg=";

    private static readonly DateTimeOffset SignedAt = DateTimeOffset.FromUnixTimeSeconds(Timestamp);

    /// <summary>The success callback example of openapi/kling.openapi.yaml.</summary>
    private static string Body => ((JObject)Repo.Spec.SelectToken("$.components.examples.CallbackSuccess.value")!).ToString();

    [Fact]
    public void The_spec_example_signature_is_the_openssl_vector()
    {
        ((string)Conformance.ConformanceVectors.Get("webhooks", "genuine-success")["headers"]!["X-Webhook-Signature"]!).Should().Be(OpensslSignature);
        var parameters = Repo.Spec.SelectToken("$.paths['/api/v1/jobs/createTask'].post.callbacks.taskFinished['{$request.body#/callBackUrl}'].post.parameters")!;
        var signature = parameters.Select(Repo.Resolve).Single(p => (string?)p["name"] == "X-Webhook-Signature");
        ((string)signature["example"]!).Should().Be(OpensslSignature);
    }

    [Fact]
    public void A_genuine_callback_verifies_and_reads_the_record()
    {
        var callback = KlingWebhook.ParseAndVerify(Body, Timestamp.ToString(), OpensslSignature, Key, now: SignedAt.AddSeconds(30));

        callback.TaskId.Should().Be(TaskId);
        callback.Code.Should().Be(200);
        callback.Record.State.Should().Be(TaskState.Success);
        callback.Record.GetResultUrls().Should().ContainSingle();
    }

    public static TheoryData<string> RejectedForTheirHeaders() => Conformance.ConformanceVectors.Ids("webhooks",
        v => (string?)v["expect"]!["reason"] is "stale" or "future" or "missing-timestamp" or "missing-signature" or "timestamp"
            && (string?)v["id"] != "timestamp-milliseconds"); // read as seconds, that one is rejected as far in the future: also right

    [Theory]
    [MemberData(nameof(RejectedForTheirHeaders))]
    public void A_callback_rejected_for_its_headers_says_which_header_and_why(string id)
    {
        var vector = Conformance.ConformanceVectors.Get("webhooks", id);
        var headers = vector["headers"]!;
        var expected = (string)vector["expect"]!["reason"]! switch
        {
            "stale" => "old",
            "future" => "future",
            "missing-timestamp" => "X-Webhook-Timestamp",
            "missing-signature" => "X-Webhook-Signature",
            _ => "Unix seconds",
        };

        FluentActions.Invoking(() => KlingWebhook.ParseAndVerify((string)vector["body"]!, (string?)headers["X-Webhook-Timestamp"], (string?)headers["X-Webhook-Signature"],
                (string)vector["key"]!, now: DateTimeOffset.FromUnixTimeSeconds((long)vector["now"]!)))
            .Should().Throw<KlingWebhookException>().WithMessage($"*{expected}*");
    }

    [Theory]
    [InlineData("")]
    [InlineData("{")]
    [InlineData("[]")]
    [InlineData("""{"code":200,"data":{}}""")]
    [InlineData("""{"code":"x","data":{"taskId":"t"}}""")]
    public void Malformed_bodies_are_rejected(string body)
    {
        FluentActions.Invoking(() => KlingWebhook.Parse(body)).Should().Throw<KlingWebhookException>();
    }

    [Fact]
    public void An_oversized_body_is_rejected_before_parsing()
    {
        FluentActions.Invoking(() => KlingWebhook.Parse(new string(' ', KlingWebhook.MaxBodyLength + 1)))
            .Should().Throw<KlingWebhookException>().WithMessage("*more than*");
    }

    [Fact]
    public void A_duplicate_delivery_is_recognisable_by_its_task_id()
    {
        var first = KlingWebhook.ParseAndVerify(Body, Timestamp.ToString(), OpensslSignature, Key, now: SignedAt);
        var again = KlingWebhook.ParseAndVerify(Body, Timestamp.ToString(), OpensslSignature, Key, now: SignedAt.AddSeconds(5));

        var seen = new HashSet<string>();
        seen.Add(first.TaskId).Should().BeTrue();
        seen.Add(again.TaskId).Should().BeFalse("the receiver drops the second delivery");
    }
}
