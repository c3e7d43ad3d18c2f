using KlingGenerated.Tests.Infrastructure;
using Newtonsoft.Json.Linq;

namespace KlingGenerated.Tests;

/// <summary>Webhook verification against vectors made outside this code base.</summary>
public sealed class WebhookTests
{
    private const string Key = "example-hmac-key";
    private const string TaskId = "task_kling_1765184398475";
    private const long Timestamp = 1765184460;

    // printf 'task_kling_1765184398475.1765184460' | openssl dgst -sha256 -hmac 'example-hmac-key' -binary | base64
    private const string OpensslSignature = "dd9eLDJhBXrjvVesRGamavVllA/pIMSzdiwvUPeJUqg=";

    // printf 'task_kling_1765184398475.1765184460' | openssl dgst -sha256 -hmac 'another-key' -binary | base64
    private const string OpensslSignatureWithAnotherKey = "+foo0kXxVZVlZPa0izGnAmG7avOhhWBbUFXnzDca/FY=";

    private static readonly DateTimeOffset SignedAt = DateTimeOffset.FromUnixTimeSeconds(Timestamp);

    /// <summary>The success callback example of openapi/kling.openapi.yaml.</summary>
    private static string Body => ((JObject)Repo.Spec.SelectToken("$.components.examples.CallbackSuccess.value")!).ToString();

    [Fact]
    public void The_signature_matches_one_computed_with_openssl()
    {
        KlingWebhook.ComputeSignature(TaskId, Timestamp, Key).Should().Be(OpensslSignature);
    }

    [Fact]
    public void The_spec_example_signature_is_the_openssl_vector()
    {
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

    [Fact]
    public void A_callback_for_another_task_with_a_copied_signature_is_rejected()
    {
        var tampered = Body.Replace(TaskId, "task_kling_9999999999999", StringComparison.Ordinal);

        FluentActions.Invoking(() => KlingWebhook.ParseAndVerify(tampered, Timestamp.ToString(), OpensslSignature, Key, now: SignedAt))
            .Should().Throw<KlingWebhookException>().WithMessage("*does not match*");
    }

    [Fact]
    public void A_callback_signed_with_another_key_is_rejected()
    {
        FluentActions.Invoking(() => KlingWebhook.ParseAndVerify(Body, Timestamp.ToString(), OpensslSignatureWithAnotherKey, Key, now: SignedAt))
            .Should().Throw<KlingWebhookException>().WithMessage("*does not match*");
    }

    [Theory]
    [InlineData(-301, "old")]
    [InlineData(301, "future")]
    public void A_timestamp_outside_the_tolerance_either_way_is_rejected(int secondsFromNow, string expected)
    {
        FluentActions.Invoking(() => KlingWebhook.ParseAndVerify(Body, Timestamp.ToString(), OpensslSignature, Key, now: SignedAt.AddSeconds(-secondsFromNow)))
            .Should().Throw<KlingWebhookException>().WithMessage($"*{expected}*");
        KlingWebhook.ParseAndVerify(Body, Timestamp.ToString(), OpensslSignature, Key, now: SignedAt.AddSeconds(-Math.Sign(secondsFromNow) * 299)).TaskId.Should().Be(TaskId);
    }

    [Theory]
    [InlineData(null, OpensslSignature, "X-Webhook-Timestamp")]
    [InlineData("1765184460", null, "X-Webhook-Signature")]
    [InlineData("", OpensslSignature, "X-Webhook-Timestamp")]
    [InlineData("yesterday", OpensslSignature, "Unix seconds")]
    [InlineData("1765184460", "not*base64!", "not base64")]
    public void Missing_or_malformed_headers_are_rejected(string? timestamp, string? signature, string expected)
    {
        FluentActions.Invoking(() => KlingWebhook.ParseAndVerify(Body, timestamp, signature, Key, now: SignedAt))
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

    [Theory]
    [InlineData("""{"code":200,"data":{"task_id":"t_snake","state":"success"}}""", "t_snake")]
    [InlineData("""{"code":200,"taskId":"t_top","data":{"state":"success"}}""", "t_top")]
    [InlineData("""{"code":200,"taskId":"t_top","data":{"taskId":"t_data","task_id":"t_snake"}}""", "t_data")]
    public void The_task_id_is_read_from_data_taskId_then_data_task_id_then_the_top_level(string body, string expected)
    {
        KlingWebhook.Parse(body).TaskId.Should().Be(expected);
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
