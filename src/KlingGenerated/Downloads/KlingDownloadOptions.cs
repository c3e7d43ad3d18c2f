namespace KlingGenerated;

/// <summary>Limits of <see cref="KlingClient.DownloadResultAsync"/> and <see cref="KlingClient.DownloadResultToFileAsync"/>.</summary>
public sealed class KlingDownloadOptions
{
    /// <summary>The most bytes one result may have (default 1 GiB); a larger one stops the download.</summary>
    public long MaxBytes { get; set; } = 1L << 30;

    /// <summary>The longest wait for the next bytes, headers included (default 30 s).</summary>
    public TimeSpan IdleTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>The longest one download may take in all, redirects included (default 10 minutes).</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>The most redirects followed (default 5); each must stay on http or https.</summary>
    public int MaxRedirects { get; set; } = 5;

    /// <summary>Replace an existing file (default false: an existing file is never touched).</summary>
    public bool Overwrite { get; set; }

    /// <summary>
    /// For <see cref="KlingClient.DownloadResultToFileAsync"/>: keep the file only if it is a whole MP4 (top-level boxes from
    /// <c>ftyp</c> adding up to its length, with <c>moov</c> and <c>mdat</c>), which every Kling result is (default true).
    /// An empty body, an error page or a body cut short then fails with <see cref="KlingDownloadFailure.NotAVideo"/> and leaves the path as it was.
    /// </summary>
    public bool RequireWholeMp4 { get; set; } = true;

    /// <summary>
    /// Refuse result hosts (and redirects) on loopback, private, link-local (such as the 169.254.169.254 metadata service)
    /// or other internal addresses, with <see cref="KlingDownloadFailure.InvalidUrl"/> before anything is sent to them
    /// (default false). For servers that download URLs on others' behalf. Checked on the addresses each hop's host
    /// resolves to, and on the built-in download handler also on the address connected to.
    /// </summary>
    public bool RefusePrivateHosts { get; set; }

    /// <summary>
    /// True when <paramref name="url"/>'s host is, or resolves to, an address <see cref="RefusePrivateHosts"/> refuses
    /// (loopback, private, link-local...). An application whose service is itself on such a host (a local simulator)
    /// asks this of its base URL to leave <see cref="RefusePrivateHosts"/> off for it; an IP literal is decided
    /// without any lookup, and a host name that does not resolve is not private.
    /// </summary>
    public static async Task<bool> IsPrivateHostAsync(Uri url, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(url);
        return await PrivateHosts.FindPrivateAsync(url, cancellationToken).ConfigureAwait(false) is not null;
    }

    /// <summary>
    /// With <see cref="RequireWholeMp4"/>: the most top-level MP4 boxes accepted (default 100,000; a Kling result has a
    /// handful). A body of millions of tiny boxes then fails as soon as it passes the cap, instead of being walked box by box.
    /// </summary>
    public int MaxMp4Boxes { get; set; } = 100_000;

    internal void Validate()
    {
        if (MaxMp4Boxes < 1)
        {
            throw new ArgumentException($"Invalid download options: MaxMp4Boxes ({MaxMp4Boxes}) must be at least 1.", "options");
        }

        if (MaxBytes < 1 || IdleTimeout <= TimeSpan.Zero || (Timeout <= TimeSpan.Zero && Timeout != System.Threading.Timeout.InfiniteTimeSpan) || MaxRedirects < 0)
        {
            throw new ArgumentException(
                $"Invalid download options: MaxBytes ({MaxBytes}) must be at least 1, IdleTimeout ({IdleTimeout}) and Timeout ({Timeout}) positive, MaxRedirects ({MaxRedirects}) not negative.",
                "options");
        }
    }
}

/// <summary>How far a download got.</summary>
/// <param name="BytesReceived">The bytes received so far.</param>
/// <param name="TotalBytes">The size the server announced (Content-Length), or null when it announced none.</param>
public readonly record struct KlingDownloadProgress(long BytesReceived, long? TotalBytes);
