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
            return await ExistingResult.SaveAsync(endpoint.Client, taskId, url, path, overwrite, compare, progress, cancellationToken);
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
}
