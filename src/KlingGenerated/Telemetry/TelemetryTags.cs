namespace KlingGenerated;

/// <summary>The attribute and event names this library records (OpenTelemetry GenAI conventions, then <c>kling.*</c>).</summary>
internal static class TelemetryTags
{
    public const string OperationName = "gen_ai.operation.name";
    public const string ProviderName = "gen_ai.provider.name";
    public const string Provider = "kie.ai";
    public const string RequestModel = "gen_ai.request.model";
    public const string ResponseId = "gen_ai.response.id";
    public const string OutputType = "gen_ai.output.type";
    public const string Video = "video";
    public const string InputMessages = "gen_ai.input.messages";
    public const string ErrorType = "error.type";

    public const string TaskState = "kling.task.state";
    public const string PreviousState = "kling.task.previous_state";
    public const string MayExist = "kling.task.may_exist";
    public const string CreditsConsumed = "kling.task.credits_consumed";
    public const string Polls = "kling.task.polls";
    public const string PollNumber = "kling.poll.number";
    public const string ResultUrls = "kling.result.urls";
    public const string NegativePrompt = "kling.request.negative_prompt";
    public const string Duration = "kling.request.duration";
    public const string AspectRatio = "kling.request.aspect_ratio";
    public const string CreateOutcome = "kling.create_task.outcome";
    public const string RetryAttempt = "kling.retry.attempt";
    public const string RetryDelay = "kling.retry.delay";
    public const string PacingWait = "kling.pacing.wait";
    public const string DownloadUrl = "kling.download.url";
    public const string DownloadBytes = "kling.download.bytes";
    public const string WebhookResult = "kling.webhook.result";
    public const string Credits = "kling.credits";

    public const string PollEvent = "kling.task.poll";
    public const string StateChangedEvent = "kling.task.state_changed";
    public const string RetryEvent = "kling.retry";
    public const string PacingEvent = "kling.pacing.wait";

    /// <summary>The tags every operation metric carries: the operation and provider, and the model and error type when known.</summary>
    public static System.Diagnostics.TagList ForOperation(string operation, string? model, string? errorType)
    {
        var tags = new System.Diagnostics.TagList { { OperationName, operation }, { ProviderName, Provider } };
        if (model is not null)
        {
            tags.Add(RequestModel, model);
        }

        if (errorType is not null)
        {
            tags.Add(ErrorType, errorType);
        }

        return tags;
    }
}
