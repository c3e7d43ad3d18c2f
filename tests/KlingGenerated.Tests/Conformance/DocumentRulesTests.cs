using KlingGenerated.OpenApi;
using KlingGenerated.Tests.Infrastructure;
using Newtonsoft.Json.Linq;

namespace KlingGenerated.Tests.Conformance;

/// <summary>
/// The waiting schedule, the "not visible yet" answers and the callback checks come from the document's x-kling-polling and
/// x-kling-callback-checks, not from C# constants: a changed document changes the client, and one it cannot follow is refused.
/// </summary>
public sealed class DocumentRulesTests
{
    private static JObject Spec() => KlingOpenApiDocument.Parse(File.ReadAllText(Repo.SpecPath));

    private static JObject Polling(JObject spec) => (JObject)spec.SelectToken("paths['/api/v1/jobs/recordInfo'].get.x-kling-polling")!;

    private static JObject Checks(JObject spec) =>
        (JObject)spec.SelectToken("paths['/api/v1/jobs/createTask'].post.callbacks.taskFinished['{$request.body#/callBackUrl}'].post.x-kling-callback-checks")!;

    [Fact]
    public void Polling_defaults_follow_the_documents_x_kling_polling()
    {
        var polling = Polling(Spec());
        var options = new KlingPollingOptions();

        options.InitialDelay.Should().Be(TimeSpan.FromSeconds((double)polling["delaySeconds"]!["initialSeconds"]!));
        options.MaxDelay.Should().Be(TimeSpan.FromSeconds((double)polling["delaySeconds"]!["maxSeconds"]!));
        options.BackoffFactor.Should().BeApproximately(1 + (double)polling["delaySeconds"]!["growth"]!, 1e-12);
        options.Timeout.Should().Be(TimeSpan.FromSeconds((double)polling["timeoutSeconds"]!));
        options.NotFoundGracePeriod.Should().Be(TimeSpan.FromSeconds((double)polling["notVisibleYet"]!["graceSeconds"]!));
    }

    [Fact]
    public void A_changed_not_visible_yet_answer_in_the_document_changes_what_is_ridden_out()
    {
        var spec = Spec();
        var answers = (JArray)Polling(spec)["notVisibleYet"]!["answers"]!;
        answers.Clear();
        answers.Add(new JObject { ["code"] = 422, ["messageContains"] = "not ready" });

        var rules = KlingDocumentRules.ReadPolling(spec);

        rules.NotVisibleYet.Any(a => a.Matches(422, "The task is NOT READY yet")).Should().BeTrue("a substring, ignoring case");
        rules.NotVisibleYet.Any(a => a.Matches(422, "recordInfo is null")).Should().BeFalse();
        rules.NotVisibleYet.Any(a => a.Matches(404, "Not found")).Should().BeFalse();
    }

    [Fact]
    public void The_embedded_documents_not_visible_yet_answers_match_by_substring_ignoring_case()
    {
        var answers = KlingDocumentRules.Polling.NotVisibleYet;

        answers.Any(a => a.Matches(422, "RecordInfo IS NULL, the task is being created")).Should().BeTrue();
        answers.Any(a => a.Matches(422, "taskId is invalid")).Should().BeFalse();
        answers.Any(a => a.Matches(400, "recordInfo is null")).Should().BeFalse("only the codes the document lists");
        answers.Any(a => a.Matches(404, null)).Should().BeTrue();
    }

    [Fact]
    public void The_callback_limits_are_the_documents()
    {
        var checks = Checks(Spec());

        KlingWebhook.MaxBodyLength.Should().Be((int)checks["body"]!["maxBytes"]!);
        KlingWebhook.DefaultTolerance.Should().Be(TimeSpan.FromSeconds((int)checks["toleranceSeconds"]!));
        KlingDocumentRules.Callback.DuplicateKeysIgnoreCase.Should().Be((string)checks["body"]!["duplicateKeys"]! == "ignoringCase");
    }

    [Theory]
    [InlineData("taskIdAt", """["/data/taskId", "/taskId"]""")]
    [InlineData("code", "\"integer-or-string\"")]
    [InlineData("duplicateKeys", "\"allowed\"")]
    public void A_callback_check_the_receiver_does_not_implement_is_refused_not_ignored(string field, string value)
    {
        var spec = Spec();
        Checks(spec)["body"]![field] = JToken.Parse(value);

        FluentActions.Invoking(() => KlingDocumentRules.ReadCallback(spec))
            .Should().Throw<InvalidOperationException>().WithMessage("*x-kling-callback-checks*Update KlingWebhook*");
    }
}
