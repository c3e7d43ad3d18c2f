using System.Globalization;

namespace KlingGenerated.Cli;

/// <summary>Uploads the local images of <c>kling generate</c> through the library, and shows each upload.</summary>
internal static class ImageUpload
{
    /// <summary>
    /// Uploads each file once; returns each option value (as given) to the <c>fileUrl</c> to send. Shows name, size, URL
    /// and expiry on <paramref name="error"/>.
    /// </summary>
    public static async Task<IReadOnlyDictionary<string, string>> UploadAsync(Endpoint endpoint, IReadOnlyList<(string Value, string Path)> files, TextWriter? error, CancellationToken cancellationToken)
    {
        var urls = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (value, file) in files.DistinctBy(f => f.Value))
        {
            var stored = await endpoint.Client.UploadFileAsync(file, cancellationToken: cancellationToken).ConfigureAwait(false);
            urls[value] = stored.FileUrl.AbsoluteUri;
            if (error is not null)
            {
                var expires = stored.ExpiresAt is { } at ? at.ToUniversalTime().ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture) : "not said";
                await error.WriteLineAsync(
                    $"Uploaded {TerminalText.Safe(Path.GetFileName(file))} ({new FileInfo(file).Length} bytes) to {TerminalText.Safe(stored.FileUrl.AbsoluteUri)} (expires {expires}).").ConfigureAwait(false);
            }
        }

        return urls;
    }
}
