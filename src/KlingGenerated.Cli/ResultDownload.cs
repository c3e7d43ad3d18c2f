namespace KlingGenerated.Cli;

/// <summary>Saves a task's result into --out with the library's safe download, under a name safe to build from service text.</summary>
internal static class ResultDownload
{
    public static async Task<string> ToFolderAsync(Endpoint endpoint, string taskId, Uri url, string folder, bool overwrite, ProgressDisplay progress, CancellationToken cancellationToken, bool compare = false)
    {
        // The task id is service text: KlingFileNames turns it into a plain file name and checks the path stays in --out.
        var path = KlingFileNames.InsideDirectory(folder, KlingFileNames.ForTask(taskId));
        try
        {
            return await ExistingResult.SaveAsync(endpoint, taskId, url, path, overwrite, compare, progress, cancellationToken);
        }
        catch (KlingDownloadException exception) when (exception.Reason == KlingDownloadFailure.InvalidUrl)
        {
            throw Refused(taskId, exception);
        }
        catch (KlingDownloadException exception)
        {
            var id = TerminalText.Safe(taskId);
            var advice = exception.Reason == KlingDownloadFailure.FileExists
                ? $"{path} already exists and was left as it is; nothing was downloaded. Run again with --overwrite to replace it, or choose another --out."
                : $"{exception.Message.TrimEnd('.')}. Task {id} succeeded: `{TerminalText.KlingCommand("download", taskId)}` downloads it again while its URL is valid (about 24 hours).";
            throw new CliServiceException($"downloading the result of task {id} failed: {advice}", "download-failed", exception);
        }
    }

    /// <summary>
    /// The result URLs of a task that succeeded; one the library refuses to read (not absolute http or https, such as
    /// file://) fails saying the task exists and is paid for, and how to see it.
    /// </summary>
    public static IReadOnlyList<Uri> UrlsOf(TaskRecord record, string taskId)
    {
        try
        {
            return record.GetResultUrls();
        }
        catch (FormatException exception)
        {
            throw new CliServiceException(
                $"task {TerminalText.Safe(taskId)} succeeded, so it exists and is paid for, but the service's result is unusable ({exception.Message.TrimEnd('.')}); nothing was downloaded. " +
                $"`{TerminalText.KlingCommand("status", taskId)}` shows what the service answers for it; running generate again would pay for a new task.", "download-failed", exception);
        }
    }

    /// <summary>A result URL the library refused before sending anything (not http or https, or a private host while the service is public).</summary>
    public static CliServiceException Refused(string taskId, KlingDownloadException exception) =>
        new($"downloading the result of task {TerminalText.Safe(taskId)} failed: {exception.Message.TrimEnd('.')}. " +
            $"Task {TerminalText.Safe(taskId)} succeeded, so it exists and is paid for, but kling does not download this URL: a result of a service on a public host must be on a public http(s) host too, " +
            $"so a hostile answer cannot steer a download into this machine or its network. `{TerminalText.KlingCommand("status", taskId)}` shows the task and its result URL (fetch it yourself only if you trust it); running generate again would pay for a new task.",
            "download-failed", exception);
}
