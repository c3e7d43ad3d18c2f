using System.Globalization;

namespace KlingGenerated.Cli.Ledger;

/// <summary>Saves a finished task's result through the library's safe download, and records the file in the ledger.</summary>
internal static class ResultFiles
{
    /// <summary>
    /// Downloads the first of <paramref name="urls"/> to <c>DIR/&lt;taskId&gt;.mp4</c> (a safe name), or to
    /// <c>DIR/<paramref name="name"/></c> when the caller names it (a batch line's id); returns the full path.
    /// A named file that already holds another video is left as it is, and this one is saved as <c>NAME-&lt;taskId&gt;.mp4</c>.
    /// </summary>
    /// <exception cref="ResultExpiredException">The result host no longer serves the file.</exception>
    public static async Task<string> SaveAsync(ITaskLedger ledger, Endpoint endpoint, string taskId, IReadOnlyList<Uri> urls, string directory,
        DateTimeOffset? finishedAt, CancellationToken cancellationToken, bool overwrite = true, string? name = null)
    {
        if (urls.Count == 0)
        {
            throw new KlingApiException(200, 200, $"Task {Text.Safe(taskId)} succeeded without a result URL; query it again later with `kling status`.");
        }

        Directory.CreateDirectory(directory);
        var path = KlingFileNames.InsideDirectory(directory, name ?? KlingFileNames.ForTask(taskId));
        overwrite &= name is null; // a batch replaces its own <taskId>.mp4; a name it did not derive from the task may be someone else's
        try
        {
            // A batch replaces its own files (only once the new copy is complete); `kling download` follows generate's --overwrite rule.
            path = await ExistingResult.SaveAsync(endpoint, taskId, urls[0], path, overwrite, compare: true, progress: null, cancellationToken).ConfigureAwait(false);
        }
        catch (CliServiceException) when (name is not null)
        {
            // The name is taken by another video (another batch's line of that id, a file of the user's): keep it, save beside it.
            var beside = KlingFileNames.InsideDirectory(directory, KlingFileNames.ForTask($"{Path.GetFileNameWithoutExtension(name)}-{taskId}"));
            path = await ExistingResult.SaveAsync(endpoint, taskId, urls[0], beside, overwrite: true, compare: true, progress: null, cancellationToken).ConfigureAwait(false);
        }

        catch (KlingDownloadException exception) when (exception.Reason == KlingDownloadFailure.HttpStatus && exception.HttpStatus is 403 or 404 or 410)
        {
            throw new ResultExpiredException(taskId, exception.HttpStatus.Value, finishedAt, exception);
        }
        catch (KlingDownloadException exception) when (exception.Reason == KlingDownloadFailure.InvalidUrl)
        {
            throw ResultDownload.Refused(taskId, exception);
        }

        ledger.RecordFile(endpoint.LedgerName, taskId, path);
        return path;
    }
}

/// <summary>The result URL answered 403/404/410: result URLs expire (about 24 hours after the task ends).</summary>
internal sealed class ResultExpiredException(string taskId, int status, DateTimeOffset? finishedAt, Exception inner)
    : Exception(
        $"the result of task {Text.Safe(taskId)} can no longer be downloaded: its URL answered HTTP {status.ToString(CultureInfo.InvariantCulture)}, "
        + "which means it has expired (result URLs last about 24 hours"
        + (finishedAt is { } at ? $"; this task was last seen finished at {at.UtcDateTime.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture)} UTC" : string.Empty)
        + "). The video is gone from the service; generate it again if you still need it.", inner);

/// <summary>Text from the service made safe for a terminal line, and bounded.</summary>
internal static class Text
{
    /// <summary>The text through <see cref="TerminalText.Safe"/>, cut at <paramref name="max"/> characters.</summary>
    public static string Safe(string? value, int max = 200)
    {
        var clean = TerminalText.Safe(value);
        return clean.Length <= max ? clean : clean[..max] + "…";
    }
}
