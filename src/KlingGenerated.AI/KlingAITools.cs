using System.ComponentModel;
using Microsoft.Extensions.AI;

namespace KlingGenerated.AI;

/// <summary>
/// <see cref="AIFunction"/> tools over an <see cref="IKlingClient"/>, for a chat client that calls functions
/// (<c>FunctionInvokingChatClient</c>, or any agent framework on Microsoft.Extensions.AI): start a video task and get
/// its id, get a task's state and result, read the credits. Starting a task costs credits: give the tools only to an
/// agent that may spend them.
/// </summary>
// CUSTOM: Microsoft.Extensions.AI has no video abstraction (IVideoGenerator was proposed, not merged); tools are how agents use it today.
public static class KlingAITools
{
    /// <summary>The tool that starts a task: <c>generate_video</c>.</summary>
    public const string GenerateVideoName = "generate_video";

    /// <summary>The tool that reads a task: <c>get_video_task</c>.</summary>
    public const string GetTaskName = "get_video_task";

    /// <summary>The tool that reads the balance: <c>get_credits</c>.</summary>
    public const string GetCreditsName = "get_credits";

    /// <summary>The three tools, bound to <paramref name="client"/>; put them in <c>ChatOptions.Tools</c>.</summary>
    public static IList<AITool> Create(IKlingClient client)
    {
        ArgumentNullException.ThrowIfNull(client);
        var tools = new Tools(client);
        return
        [
            AIFunctionFactory.Create(tools.GenerateVideoAsync, GenerateVideoName, "Starts generating a video from a text prompt with Kling V2.5 Turbo Pro (costs credits) and returns its task id at once; the video takes a few minutes: check it with get_video_task."),
            AIFunctionFactory.Create(tools.GetTaskAsync, GetTaskName, "Gets a video task's state (waiting, queuing, generating, success, fail), and when it succeeded the video's URL, or when it failed why."),
            AIFunctionFactory.Create(tools.GetCreditsAsync, GetCreditsName, "Gets the credits left on the kie.ai account."),
        ];
    }

    private sealed class Tools(IKlingClient client)
    {
        public async Task<VideoTaskStarted> GenerateVideoAsync(
            [Description("What the video shows, in English; at most 2500 characters.")] string prompt,
            [Description("What the video should not show; optional.")] string? negativePrompt = null,
            [Description("Length in seconds: \"5\" or \"10\"; optional, 5 by default.")] string? duration = null,
            [Description("Aspect ratio: \"16:9\", \"9:16\" or \"1:1\"; optional.")] string? aspectRatio = null,
            CancellationToken cancellationToken = default)
        {
            var input = new CreateTaskInput { Prompt = prompt, NegativePrompt = negativePrompt };
            if (duration is not null)
            {
                input.Duration = WireNames<VideoDuration>.Parse(duration) ?? throw new ArgumentException($"duration must be one of {string.Join(", ", WireNames<VideoDuration>.All)}, not '{duration}'.", nameof(duration));
            }

            if (aspectRatio is not null)
            {
                input.AspectRatio = WireNames<AspectRatio>.Parse(aspectRatio) ?? throw new ArgumentException($"aspectRatio must be one of {string.Join(", ", WireNames<AspectRatio>.All)}, not '{aspectRatio}'.", nameof(aspectRatio));
            }

            var created = await client.CreateTaskAsync(new CreateTaskRequest { Input = input }, cancellationToken).ConfigureAwait(false);
            return new VideoTaskStarted(created.Data?.TaskId ?? throw new KlingApiException(created.Code, 200, "The service accepted the task but returned no task id."));
        }

        public async Task<VideoTaskStatus> GetTaskAsync([Description("The task id generate_video returned.")] string taskId, CancellationToken cancellationToken = default)
        {
            var record = (await client.GetTaskRecordAsync(taskId, cancellationToken).ConfigureAwait(false)).Data
                ?? throw new KlingApiException(200, 200, $"The service returned no record for task {taskId}.");
            KlingClient.EnsureRecordOf(taskId, record);
            var urls = record.State == TaskState.Success ? record.GetResultUrls().Select(url => url.AbsoluteUri).ToList() : [];
            return new VideoTaskStatus(taskId, record.RawState ?? "unknown", urls, record.FailCode, record.FailMsg, record.CreditsConsumed);
        }

        public async Task<long?> GetCreditsAsync(CancellationToken cancellationToken = default) =>
            (await client.GetRemainingCreditsAsync(cancellationToken).ConfigureAwait(false)).Data;
    }
}

/// <summary>What <c>generate_video</c> returns: the id of the task it started.</summary>
/// <param name="TaskId">The task id; keep it, the service cannot list tasks.</param>
public sealed record VideoTaskStarted(string TaskId);

/// <summary>What <c>get_video_task</c> returns.</summary>
/// <param name="TaskId">The task.</param>
/// <param name="State">waiting, queuing, generating, success or fail (or a state this client does not know yet).</param>
/// <param name="VideoUrls">For a task that succeeded, the video's URLs (they expire after a while).</param>
/// <param name="FailCode">For a failed task, the service's failCode.</param>
/// <param name="FailMessage">For a failed task, the service's failMsg.</param>
/// <param name="CreditsConsumed">The credits the task consumed, once the service says.</param>
public sealed record VideoTaskStatus(string TaskId, string State, IReadOnlyList<string> VideoUrls, string? FailCode, string? FailMessage, double? CreditsConsumed);
