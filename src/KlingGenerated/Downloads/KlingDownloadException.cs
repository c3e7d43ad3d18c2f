namespace KlingGenerated;

/// <summary>Why a download of a result failed.</summary>
public enum KlingDownloadFailure
{
    /// <summary>The URL is not an absolute http or https URL, or a redirect left http(s).</summary>
    InvalidUrl,

    /// <summary>More redirects than <see cref="KlingDownloadOptions.MaxRedirects"/>.</summary>
    TooManyRedirects,

    /// <summary>The result host answered an HTTP error status.</summary>
    HttpStatus,

    /// <summary>The result is larger than <see cref="KlingDownloadOptions.MaxBytes"/>.</summary>
    TooLarge,

    /// <summary>No bytes arrived for <see cref="KlingDownloadOptions.IdleTimeout"/>.</summary>
    IdleTimeout,

    /// <summary>The download took longer than <see cref="KlingDownloadOptions.Timeout"/>.</summary>
    Timeout,

    /// <summary>The host could not be reached, or the connection broke before the end of the body.</summary>
    ConnectionFailed,

    /// <summary>The target file exists and <see cref="KlingDownloadOptions.Overwrite"/> is false.</summary>
    FileExists,

    /// <summary>The file could not be written (a missing folder, permissions, a full disk).</summary>
    WriteFailed,

    /// <summary>The body was not a whole MP4 (empty, an error page, or cut short), so it did not replace anything.</summary>
    NotAVideo,
}

/// <summary>
/// A download of a result that failed. The message says what happened and what to do; a target file is never left
/// half-written, and an existing file is untouched.
/// </summary>
public sealed class KlingDownloadException : Exception
{
    /// <summary>Creates the exception.</summary>
    public KlingDownloadException(KlingDownloadFailure reason, string message, long bytesReceived = 0, int? httpStatus = null, Exception? innerException = null)
        : base(message, innerException)
    {
        Reason = reason;
        BytesReceived = bytesReceived;
        HttpStatus = httpStatus;
    }

    /// <summary>Why the download failed.</summary>
    public KlingDownloadFailure Reason { get; }

    /// <summary>The bytes received before the failure (they were discarded for a file).</summary>
    public long BytesReceived { get; }

    /// <summary>The result host's HTTP status, for <see cref="KlingDownloadFailure.HttpStatus"/>.</summary>
    public int? HttpStatus { get; }
}
