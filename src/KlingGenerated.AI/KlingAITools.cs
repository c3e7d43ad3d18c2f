using System.Collections.Concurrent;
using System.ComponentModel;
using System.Text.Json;
using Microsoft.Extensions.AI;
using Newtonsoft.Json;
using Newtonsoft.Json.Linq;

namespace KlingGenerated.AI;

/// <summary>
/// <see cref="AIFunction"/> tools over an <see cref="IKlingClient"/>, for a chat client that calls functions
/// (<c>FunctionInvokingChatClient</c>, or any agent framework on Microsoft.Extensions.AI): start a video task and get
/// its id, wait for it (bounded), get a task's state and result, read the credits. Starting a task costs credits, so
/// <c>generate_video</c> cannot run away: it needs the user's approval by default, spends from a budget
/// (<see cref="KlingAIToolsOptions.Budget"/>; <see cref="KlingAIToolsOptions.DefaultBudgetCredits"/> when none is given),
/// and an identical request already created in the same session answers the earlier task id instead of paying again.
/// </summary>
// CUSTOM: Microsoft.Extensions.AI has no video abstraction (IVideoGenerator was proposed, not merged); tools are how agents use it today.
public static class KlingAITools
{
    /// <summary>The tool that starts a task: <c>generate_video</c>.</summary>
    public const string GenerateVideoName = "generate_video";

    /// <summary>The tool that reads a task: <c>get_video_task</c>.</summary>
    public const string GetTaskName = "get_video_task";

    /// <summary>The tool that waits for a task to end, at most a bounded time: <c>wait_for_video</c>.</summary>
    public const string WaitForVideoName = "wait_for_video";

    /// <summary>The tool that reads the balance: <c>get_credits</c>.</summary>
    public const string GetCreditsName = "get_credits";

    /// <summary>
    /// The four tools, bound to <paramref name="client"/>, for one session (an agent conversation): put them in
    /// <c>ChatOptions.Tools</c>. Each call of this method starts a new session, with its own budget unless
    /// <paramref name="options"/> shares one.
    /// </summary>
    public static IList<AITool> Create(IKlingClient client, KlingAIToolsOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(client);
        options ??= new KlingAIToolsOptions();
        if (options.MaxWait <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.MaxWait, "KlingAIToolsOptions.MaxWait must be positive.");
        }

        var tools = new Tools(client, options.Budget ?? new KlingBudget(KlingAIToolsOptions.DefaultBudgetCredits), options.MaxWait);
        AIFunction generate = AIFunctionFactory.Create(tools.GenerateVideoAsync, GenerateVideoName,
            "Starts generating a video with a Kling model and returns its task id at once. It COSTS CREDITS from a limited budget. " +
            "Call it once per video: calling it again with the same request returns the same task. " +
            "The video takes a few minutes: then call wait_for_video or get_video_task. If the status is may-exist, do not call it again for that request. " +
            ModelsDescription());
#pragma warning disable MEAI001 // ApprovalRequiredAIFunction is marked experimental in Microsoft.Extensions.AI 10.x
        var generateTool = options.RequireApproval ? new ApprovalRequiredAIFunction(generate) : generate;
#pragma warning restore MEAI001
        return
        [
            generateTool,
            AIFunctionFactory.Create(tools.WaitForVideoAsync, WaitForVideoName,
                $"Waits for a video task to end, at most maxSeconds (at most {options.MaxWait.TotalSeconds:0} s), then gives its state, and its video URL when it succeeded. Costs nothing."),
            AIFunctionFactory.Create(tools.GetTaskAsync, GetTaskName, "Gets a video task's state (waiting, queuing, generating, success, fail), and when it succeeded the video's URL, or when it failed why. Costs nothing."),
            AIFunctionFactory.Create(tools.GetCreditsAsync, GetCreditsName, "Gets the credits left on the kie.ai account."),
        ];
    }

    /// <summary>The models and their input fields, from the OpenAPI document (<see cref="KlingModels"/>), for the tool's description.</summary>
    private static string ModelsDescription()
    {
        static string Field(KlingInputField f) =>
            f.Name + (f.Required ? " (required" : " (optional") + ", " + (f.Values is { } values ? "one of " + string.Join("/", values) : f.Format == "uri" ? (f.Type == "array" ? "list of image URLs" : "image URL") : f.Type) + ")";
        var models = KlingModels.All.Select(m => $"{m.Id}: {string.Join(", ", m.Inputs.Select(Field))}");
        return $"Models (the model argument; {DefaultModel} when omitted) and their input fields: {string.Join("; ", models)}. " +
            "Give prompt, negativePrompt, duration and aspectRatio as arguments and any other input field of the model in inputs, by its name above.";
    }

    // The model of a call without one: the model whose request type kept the first model's name, as `kling generate` defaults to.
    private static string DefaultModel => KlingModels.ModelOf(typeof(CreateTaskRequest));

    private sealed class Tools(IKlingClient client, KlingBudget budget, TimeSpan maxWait)
    {
        private static readonly JsonSerializerSettings Canonical = new() { NullValueHandling = NullValueHandling.Ignore };

        // The session's createTasks by canonical request: a second identical call gets the first one's answer, never a new task.
        private readonly ConcurrentDictionary<string, Lazy<Task<VideoTaskStarted>>> _created = new(StringComparer.Ordinal);

        public async Task<VideoTaskStarted> GenerateVideoAsync(
            [Description("What the video shows, in English; at most 2500 characters (1000 for the models whose prompt says so).")] string prompt,
            [Description("What the video should not show; optional, for the models that have negative_prompt.")] string? negativePrompt = null,
            [Description("Length in seconds: \"5\" or \"10\"; optional, 5 by default.")] string? duration = null,
            [Description("Aspect ratio: \"16:9\", \"9:16\" or \"1:1\"; optional, for the models that have aspect_ratio.")] string? aspectRatio = null,
            [Description("The model, one of those the tool's description lists; optional.")] string? model = null,
            [Description("The model's other input fields by their names in the tool's description, such as an image URL or sound; optional.")] IDictionary<string, JsonElement>? inputs = null,
            CancellationToken cancellationToken = default)
        {
            if (KlingModels.Find(model ?? DefaultModel) is not { } chosen)
            {
                return VideoTaskStarted.Refused($"model must be one of {string.Join(", ", KlingModels.All.Select(m => m.Id))}, not '{model}'; nothing was sent.");
            }

            if (duration is not null && WireNames<VideoDuration>.Parse(duration) is null)
            {
                return VideoTaskStarted.Refused($"duration must be one of {string.Join(", ", WireNames<VideoDuration>.All)}, not '{duration}'; nothing was sent.");
            }

            if (aspectRatio is not null && WireNames<AspectRatio>.Parse(aspectRatio) is null)
            {
                return VideoTaskStarted.Refused($"aspectRatio must be one of {string.Join(", ", WireNames<AspectRatio>.All)}, not '{aspectRatio}'; nothing was sent.");
            }

            // The input as the document names its fields: the named arguments under their wire names, then the other fields as given.
            var input = new JObject { ["prompt"] = prompt };
            foreach (var (name, value) in new[] { ("negative_prompt", negativePrompt), ("duration", duration), ("aspect_ratio", aspectRatio) })
            {
                if (value is not null)
                {
                    input[name] = value;
                }
            }

            foreach (var (name, value) in inputs ?? new Dictionary<string, JsonElement>())
            {
                input[name] = JToken.Parse(value.GetRawText());
            }

            if (input.Properties().FirstOrDefault(p => chosen.Input(p.Name) is null) is { } unknown)
            {
                return VideoTaskStarted.Refused($"The model {chosen.Id} has no input field '{unknown.Name}'; its fields are {string.Join(", ", chosen.Inputs.Select(f => f.Name))}. Nothing was sent.");
            }

            var body = new JObject { ["model"] = chosen.Id, ["input"] = input }.ToString(Formatting.None);
            using (var stream = new MemoryStream(System.Text.Encoding.UTF8.GetBytes(body)))
            {
                // The shared validator (the document's rules, as the client, the CLI and the simulator apply them).
                if (KlingGenerated.OpenApi.KlingOpenApiContract.ValidateOperationBody("CreateTask", stream) is { Count: > 0 } problems)
                {
                    return VideoTaskStarted.Refused($"The request is invalid: {string.Join(" ", problems)} Nothing was sent.");
                }
            }

            var request = JObject.Parse(body).ToObject<VideoTaskRequest>()!; // the generated converter picks the model's request type
            body = JsonConvert.SerializeObject(request, Canonical); // one key per request, however the fields were given

            var created = _created.GetOrAdd(body, _ => new Lazy<Task<VideoTaskStarted>>(() => CreateAsync(request, cancellationToken)));
            var first = !created.IsValueCreated;
            var result = await created.Value.ConfigureAwait(false);
            if (result.Status is not ("created" or "may-exist"))
            {
                _created.TryRemove(new KeyValuePair<string, Lazy<Task<VideoTaskStarted>>>(body, created)); // nothing was created: a later call may try again
            }

            return Masked(first || result.Status is not ("created" or "may-exist")
                ? result
                : result with
                {
                    Status = result.Status == "created" ? "created-earlier" : "may-exist",
                    Message = result.Status == "created"
                        ? $"This identical request was already created in this session as task {result.TaskId}; it was not sent again and cost nothing more. Use that task id."
                        : result.Message,
                });
        }

        // What the model reads is output too: an API key a hostile service echoed in a task id or message is masked.
        private static VideoTaskStarted Masked(VideoTaskStarted started) =>
            started with { TaskId = KlingSecrets.Mask(started.TaskId), Message = KlingSecrets.Mask(started.Message) };

        private static VideoTaskStatus Masked(VideoTaskStatus status) => status with
        {
            TaskId = KlingSecrets.Mask(status.TaskId),
            State = KlingSecrets.Mask(status.State),
            VideoUrls = [.. status.VideoUrls.Select(url => KlingSecrets.Mask(url))],
            FailCode = KlingSecrets.Mask(status.FailCode),
            FailMessage = KlingSecrets.Mask(status.FailMessage),
        };

        private async Task<VideoTaskStarted> CreateAsync(VideoTaskRequest request, CancellationToken cancellationToken)
        {
            await Task.Yield(); // outside the dictionary's factory
            try
            {
                var created = await client.CreateTaskAsync(request, budget, cancellationToken).ConfigureAwait(false);
                var taskId = created.Data?.TaskId ?? throw new InvalidOperationException("The client answered without a task id.");
                return new VideoTaskStarted(taskId, "created", $"Task {taskId} started; the video takes a few minutes. {Left()}");
            }
            catch (KlingApiException exception) when (exception.TaskMayExist)
            {
                return new VideoTaskStarted(exception.TaskId, "may-exist",
                    (exception.TaskId is { } id ? $"Task {id} was created and charged, but its answer could not be recorded. " : "The request was sent but its answer was lost: a task may exist and be charged, and its id is unknown. ")
                    + "Do NOT call generate_video again for this request (it could pay twice); tell the user to check the kie.ai console or the credits. " + Left());
            }
            catch (KlingApiException exception) when (exception.Kind == KlingErrorKind.BudgetExceeded)
            {
                return VideoTaskStarted.Refused($"Not sent: the session's budget cannot pay for this video ({budget}). Ask the user before anything else.");
            }
            catch (KlingApiException exception)
            {
                return VideoTaskStarted.Refused($"Not created ({exception.Kind}): {exception.Message}");
            }
            catch (ArgumentException exception)
            {
                return VideoTaskStarted.Refused($"The request is invalid: {exception.Message} Nothing was sent.");
            }
        }

        private string Left() => $"Budget left: {KlingBudget.FormatCredits(budget.Left)} credits.";

        public async Task<VideoTaskStatus> WaitForVideoAsync(
            [Description("The task id generate_video returned.")] string taskId,
            [Description("The most seconds to wait; optional, and never more than the tool's limit.")] int? maxSeconds = null,
            CancellationToken cancellationToken = default)
        {
            var wait = maxSeconds is > 0 && TimeSpan.FromSeconds(maxSeconds.Value) < maxWait ? TimeSpan.FromSeconds(maxSeconds.Value) : maxWait;
            try
            {
                var record = await client.WaitForCompletionAsync(taskId, new KlingPollingOptions { Timeout = wait }, cancellationToken: cancellationToken).ConfigureAwait(false);
                return Status(taskId, record);
            }
            catch (KlingApiException exception) when (exception is { Kind: KlingErrorKind.Timeout, TaskId: not null })
            {
                return Masked(new VideoTaskStatus(taskId, exception.LastState ?? "not visible yet", [], null, null, null));
            }
            catch (KlingApiException exception) when (exception.Kind == KlingErrorKind.TaskFailed)
            {
                return Masked(new VideoTaskStatus(taskId, "fail", [], exception.FailCode, exception.FailMessage, null));
            }
        }

        public async Task<VideoTaskStatus> GetTaskAsync([Description("The task id generate_video returned.")] string taskId, CancellationToken cancellationToken = default)
        {
            var record = (await client.GetTaskRecordAsync(taskId, cancellationToken).ConfigureAwait(false)).Data
                ?? throw new KlingApiException(200, 200, $"The service returned no record for task {taskId}.");
            return Status(taskId, record);
        }

        private static VideoTaskStatus Status(string taskId, TaskRecord record)
        {
            KlingClient.EnsureRecordOf(taskId, record);
            var urls = record.State == TaskState.Success ? record.GetResultUrls().Select(url => url.AbsoluteUri).ToList() : [];
            return Masked(new VideoTaskStatus(taskId, record.RawState ?? "unknown", urls, record.FailCode, record.FailMsg, record.CreditsConsumed));
        }

        public async Task<long?> GetCreditsAsync(CancellationToken cancellationToken = default) =>
            (await client.GetRemainingCreditsAsync(cancellationToken).ConfigureAwait(false)).Data;
    }
}

/// <summary>
/// What <c>generate_video</c> returns. <see cref="Status"/>: <c>created</c> (a new task), <c>created-earlier</c> (the same
/// request was created earlier in this session: that task, nothing paid again), <c>may-exist</c> (sent, answer lost: a
/// task may exist and be charged; <see cref="TaskId"/> when known; never retry it blindly), or <c>refused</c> (nothing
/// sent: invalid, or over the budget).
/// </summary>
/// <param name="TaskId">The task id; keep it, the service cannot list tasks. Null when refused, or when a task may exist but its id is unknown.</param>
/// <param name="Status">created, created-earlier, may-exist or refused.</param>
/// <param name="Message">What happened and what to do next, for the model.</param>
public sealed record VideoTaskStarted(string? TaskId, string Status, string Message)
{
    internal static VideoTaskStarted Refused(string message) => new(null, "refused", message);
}

/// <summary>Settings of the tools of one session (<see cref="KlingAITools.Create"/>).</summary>
public sealed class KlingAIToolsOptions
{
    /// <summary>The credits a session may spend when no <see cref="Budget"/> is given: 84, two 5-second videos or one of 10 seconds.</summary>
    public const decimal DefaultBudgetCredits = 84;

    /// <summary>
    /// What <c>generate_video</c> may spend, reserved through the library's spend gate before each task is sent; share one
    /// across sessions to cap them together. Null (the default): a new budget of <see cref="DefaultBudgetCredits"/> per session.
    /// </summary>
    public KlingBudget? Budget { get; set; }

    /// <summary>
    /// <c>generate_video</c> asks the user's approval before each call (true, the default): it is an
    /// <see cref="ApprovalRequiredAIFunction"/>, so <c>FunctionInvokingChatClient</c> hands a
    /// <c>ToolApprovalRequestContent</c> to your app instead of running it. Set false only for an agent that may spend unattended.
    /// </summary>
    public bool RequireApproval { get; set; } = true;

    /// <summary>The longest <c>wait_for_video</c> waits in one call (default 5 minutes); the model may ask for less.</summary>
    public TimeSpan MaxWait { get; set; } = TimeSpan.FromMinutes(5);
}

/// <summary>What <c>get_video_task</c> and <c>wait_for_video</c> return.</summary>
/// <param name="TaskId">The task.</param>
/// <param name="State">waiting, queuing, generating, success or fail (or a state this client does not know yet).</param>
/// <param name="VideoUrls">For a task that succeeded, the video's URLs (they expire after a while).</param>
/// <param name="FailCode">For a failed task, the service's failCode.</param>
/// <param name="FailMessage">For a failed task, the service's failMsg.</param>
/// <param name="CreditsConsumed">The credits the task consumed, once the service says.</param>
public sealed record VideoTaskStatus(string TaskId, string State, IReadOnlyList<string> VideoUrls, string? FailCode, string? FailMessage, double? CreditsConsumed);
