namespace KlingGenerated;

/// <summary>
/// A file stored by kie.ai's File Upload API (or the simulator): pass <see cref="FileUrl"/> as an image input. The URLs
/// were checked to be absolute http(s) URLs; they are still the service's words: never use them as paths or markup.
/// </summary>
public sealed class KlingUploadedFile
{
    internal KlingUploadedFile(Uri fileUrl, Uri? downloadUrl, string? fileId, string? fileName, long? fileSize, string? mimeType, DateTimeOffset? expiresAt)
    {
        FileUrl = fileUrl;
        DownloadUrl = downloadUrl;
        FileId = fileId;
        FileName = fileName;
        FileSize = fileSize;
        MimeType = mimeType;
        ExpiresAt = expiresAt;
    }

    /// <summary>The URL to pass as <c>image_url</c>, <c>tail_image_url</c> or in <c>image_urls</c>.</summary>
    public Uri FileUrl { get; }

    /// <summary>A URL to download the file, when the service gave a valid one.</summary>
    public Uri? DownloadUrl { get; }

    /// <summary>The service's id of the file.</summary>
    public string? FileId { get; }

    /// <summary>The name it is stored under.</summary>
    public string? FileName { get; }

    /// <summary>Its size in bytes, as the service reports it.</summary>
    public long? FileSize { get; }

    /// <summary>Its media type, as the service reports it.</summary>
    public string? MimeType { get; }

    /// <summary>When the service deletes it (kie.ai's pages disagree on the lifetime; this is the truth).</summary>
    public DateTimeOffset? ExpiresAt { get; }
}
