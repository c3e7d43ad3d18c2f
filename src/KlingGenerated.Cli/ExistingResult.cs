namespace KlingGenerated.Cli;

/// <summary>
/// The --overwrite rule of generate, wait and download: a new file is saved; an existing one is replaced only with
/// --overwrite (once the new copy is complete); without it, an identical existing file is success and is not rewritten,
/// and a different one is left as it is and refused.
/// </summary>
/// <remarks>Whether the file is identical is known only from the bytes: the result is downloaded beside it (a dot file,
/// removed afterwards) and compared, so a rerun of `kling download` or `kling wait` after a saved result is not an error.</remarks>
internal static class ExistingResult
{
    /// <summary>Saves the result at <paramref name="path"/> by the rule above; <paramref name="compare"/> is false for generate, whose task is new: an existing file is refused without downloading anything.</summary>
    public static async Task<string> SaveAsync(Endpoint endpoint, string taskId, Uri url, string path, bool overwrite, bool compare, IProgress<KlingDownloadProgress>? progress, CancellationToken cancellationToken)
    {
        var full = Path.GetFullPath(path);
        var client = endpoint.Client;
        if (overwrite || !compare || !File.Exists(full))
        {
            return await client.DownloadResultToFileAsync(url, full, await endpoint.DownloadOptionsAsync(overwrite, cancellationToken), progress, cancellationToken);
        }

        var probe = Path.Combine(Path.GetDirectoryName(full)!, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.compare");
        try
        {
            await client.DownloadResultToFileAsync(url, probe, await endpoint.DownloadOptionsAsync(overwrite: false, cancellationToken), progress, cancellationToken);
            if (await SameBytesAsync(full, probe, cancellationToken))
            {
                return full;
            }
        }
        finally
        {
            try
            {
                File.Delete(probe);
            }
            catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
            {
                // Best effort: the name starts with a dot and ends with .compare, so it is recognisable.
            }
        }

        throw new CliServiceException(
            $"downloading the result of task {TerminalText.Safe(taskId)} failed: {full} already exists with other content and was left as it is. Run again with --overwrite to replace it, or choose another --out.", "download-failed");
    }

    private static async Task<bool> SameBytesAsync(string a, string b, CancellationToken cancellationToken)
    {
        if (new FileInfo(a).Length != new FileInfo(b).Length)
        {
            return false;
        }

        await using var first = File.OpenRead(a);
        await using var second = File.OpenRead(b);
        var x = new byte[81920];
        var y = new byte[81920];
        while (true)
        {
            var read = await first.ReadAtLeastAsync(x, x.Length, throwOnEndOfStream: false, cancellationToken);
            var other = await second.ReadAtLeastAsync(y, y.Length, throwOnEndOfStream: false, cancellationToken);
            if (read != other || !x.AsSpan(0, read).SequenceEqual(y.AsSpan(0, other)))
            {
                return false;
            }

            if (read == 0)
            {
                return true;
            }
        }
    }
}
