namespace KlingGenerated.Cli;

/// <summary>Saves a task's result into --out under a safe name, showing the bytes as they arrive.</summary>
internal static class ResultDownload
{
    public static async Task<string> ToFolderAsync(Endpoint endpoint, string taskId, Uri url, string folder, ProgressDisplay progress, CancellationToken cancellationToken)
    {
        // INTERIM until lib-hardening's DownloadResultToFileAsync is merged.
        var path = Path.Combine(folder, Safe(taskId) + ".mp4");
        var temp = path + ".part";
        try
        {
            using var response = await endpoint.Downloads.GetAsync(url, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
            response.EnsureSuccessStatusCode();
            await using (var file = File.Create(temp))
            {
                await response.Content.CopyToAsync(file, cancellationToken);
            }

            File.Move(temp, path, overwrite: false);
            return path;
        }
        finally
        {
            File.Delete(temp);
        }
    }

    private static string Safe(string id) => new(id.Select(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-' ? c : '_').ToArray());
}
