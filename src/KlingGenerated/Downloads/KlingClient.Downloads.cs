using System.Buffers;
using System.Net;

namespace KlingGenerated;

/// <summary>Downloading results; see <see cref="KlingClient.DownloadResultAsync"/> and <see cref="KlingClient.DownloadResultToFileAsync"/>.</summary>
// CUSTOM: results are files on another host, not operations of the document; downloading them is part of what callers mock.
public partial interface IKlingClient
{
    /// <summary>Downloads a result into a stream, without the API key; see <see cref="KlingClient.DownloadResultAsync"/>.</summary>
    Task<long> DownloadResultAsync(Uri url, Stream destination, KlingDownloadOptions? options = null, IProgress<KlingDownloadProgress>? progress = null, CancellationToken cancellationToken = default);

    /// <summary>Downloads a result to a file, safely (a whole MP4 or nothing); see <see cref="KlingClient.DownloadResultToFileAsync"/>.</summary>
    Task<string> DownloadResultToFileAsync(Uri url, string path, KlingDownloadOptions? options = null, IProgress<KlingDownloadProgress>? progress = null, CancellationToken cancellationToken = default);
}

// CUSTOM: results are files on another host, not operations of the document; downloading them safely needs limits the generated code has no place for.
public partial class KlingClient
{
    private const int DownloadBufferSize = 128 * 1024;

    // The default for result hosts, never the API's HttpClient: that one carries the API key (and maybe handlers that add it).
    private static readonly Lazy<HttpClient> DefaultDownloadHttp = new(() => new HttpClient(CreateDownloadHandler())
    {
        Timeout = System.Threading.Timeout.InfiniteTimeSpan, // the idle timeout and the deadline are enforced per read
    });

    /// <summary>
    /// The HttpClient that fetches results from result hosts. Null (the default) uses a shared built-in one; <c>AddKlingClient</c>
    /// sets it to the named client <see cref="KlingServiceCollectionExtensions.DownloadHttpClientName"/>, which you can configure
    /// (a proxy, handlers of your own). It must never be the API's HttpClient nor send an Authorization header (a download
    /// with one is refused), and should not follow redirects itself, so each hop is checked.
    /// </summary>
    public HttpClient? DownloadHttpClient { get; set; }

    /// <summary>The handler of the built-in download client, for <c>AddKlingClient</c>'s named one.</summary>
    internal static SocketsHttpHandler CreateDownloadHandler() => new()
    {
        AllowAutoRedirect = false, // followed by hand, so each hop is checked
        AutomaticDecompression = DecompressionMethods.None,
        UseCookies = false,
        PooledConnectionLifetime = TimeSpan.FromMinutes(2),
        ConnectTimeout = TimeSpan.FromSeconds(30),
        ConnectCallback = PrivateHosts.ConnectAsync, // refuses private addresses for a download that asks it
    };

    private HttpClient ResultHostClient()
    {
        var http = DownloadHttpClient ?? DefaultDownloadHttp.Value;
        if (ReferenceEquals(http, _httpClient) || http.DefaultRequestHeaders.Authorization is not null
            || (_options.ApiKey is { Length: > 0 } key && http.DefaultRequestHeaders.Any(h => h.Value.Any(v => v.Contains(key, StringComparison.Ordinal)))))
        {
            throw new InvalidOperationException("KlingClient.DownloadHttpClient would send credentials to the result host (it is the API's HttpClient, or sends an Authorization header or the API key by default); nothing was downloaded. Give downloads an HttpClient of their own.");
        }

        return http;
    }

    /// <summary>
    /// Downloads a result (such as <see cref="TaskRecord.GetResultUrls"/>' URLs) into <paramref name="destination"/>, without the API key.
    /// Only http and https are accepted, at most <see cref="KlingDownloadOptions.MaxRedirects"/> redirects are followed
    /// (each staying on http or https, and never from https down to http), and the download stops at <see cref="KlingDownloadOptions.MaxBytes"/>, after
    /// <see cref="KlingDownloadOptions.IdleTimeout"/> without bytes, or at <see cref="KlingDownloadOptions.Timeout"/>.
    /// </summary>
    /// <returns>The number of bytes written.</returns>
    /// <exception cref="KlingDownloadException">The download failed; <see cref="KlingDownloadException.Reason"/> says why. Bytes already written to <paramref name="destination"/> stay there.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public Task<long> DownloadResultAsync(Uri url, Stream destination, KlingDownloadOptions? options = null, IProgress<KlingDownloadProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(url);
        ArgumentNullException.ThrowIfNull(destination);
        options ??= new KlingDownloadOptions();
        options.Validate();
        return DownloadToStreamAsync(url, destination, options, progress, cancellationToken);
    }

    private async Task<long> DownloadToStreamAsync(Uri url, Stream destination, KlingDownloadOptions options, IProgress<KlingDownloadProgress>? progress, CancellationToken cancellationToken)
    {
        using var telemetry = DownloadTelemetry.Start(url, Logger);
        try
        {
            var received = await DownloadCoreAsync(url, destination, options, progress, shape: null, cancellationToken).ConfigureAwait(false);
            return telemetry is null ? received : telemetry.Completed(received, received);
        }
        catch (Exception exception) when (telemetry?.Failed(exception) == true)
        {
            throw;
        }
    }

    /// <summary>
    /// Downloads a result to <paramref name="path"/>, safely: the bytes go to a temporary file in the same folder, which
    /// is renamed over the target only when the download is complete. An existing file is never replaced unless
    /// <see cref="KlingDownloadOptions.Overwrite"/> is set, and it is untouched when the download fails; the temporary
    /// file is removed on failure and on cancellation. The folder must exist. Limits as <see cref="DownloadResultAsync"/>.
    /// </summary>
    /// <returns>The full path of the file written.</returns>
    /// <exception cref="KlingDownloadException">The download failed; nothing was left at <paramref name="path"/>.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled; nothing was left at <paramref name="path"/>.</exception>
    public async Task<string> DownloadResultToFileAsync(Uri url, string path, KlingDownloadOptions? options = null, IProgress<KlingDownloadProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(url);
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        options ??= new KlingDownloadOptions();
        options.Validate();

        var full = Path.GetFullPath(path);
        var folder = Path.GetDirectoryName(full) ?? throw new ArgumentException($"'{path}' names no file.", nameof(path));
        if (!Directory.Exists(folder))
        {
            throw new KlingDownloadException(KlingDownloadFailure.WriteFailed, $"The folder {folder} does not exist; create it first. Nothing was downloaded.");
        }

        if (Directory.Exists(full))
        {
            throw new KlingDownloadException(KlingDownloadFailure.WriteFailed, $"{full} is a folder; give a file path. Nothing was downloaded.");
        }

        if (!options.Overwrite && File.Exists(full))
        {
            throw new KlingDownloadException(KlingDownloadFailure.FileExists, $"{full} already exists and was left as it is; nothing was downloaded. Choose another path, or set KlingDownloadOptions.Overwrite to replace it.");
        }

        using var telemetry = DownloadTelemetry.Start(url, Logger);
        try
        {
            var written = await DownloadToFileCoreAsync(url, full, folder, options, progress, cancellationToken).ConfigureAwait(false);
            return telemetry is null ? written.Path : telemetry.Completed(written.Path, written.Bytes);
        }
        catch (Exception exception) when (telemetry?.Failed(exception) == true)
        {
            throw;
        }
    }

    private async Task<(string Path, long Bytes)> DownloadToFileCoreAsync(Uri url, string full, string folder, KlingDownloadOptions options, IProgress<KlingDownloadProgress>? progress, CancellationToken cancellationToken)
    {
        var name = Path.GetFileName(full);
        var temp = Path.Combine(folder, $".{(name.Length > 180 ? name[..180] : name)}.{Guid.NewGuid():N}.part");
        var received = 0L;
        var renamed = false;
        try
        {
            try
            {
                await using (var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 0, FileOptions.Asynchronous))
                {
                    try
                    {
                        // The MP4 check reads the box headers as the bytes pass, inside the deadline and the cancellation.
                        received = await DownloadCoreAsync(url, file, options, progress, options.RequireWholeMp4 ? new Mp4Shape(options.MaxMp4Boxes) : null, cancellationToken).ConfigureAwait(false);
                    }
                    catch (NotWholeMp4Exception notWhole)
                    {
                        throw new KlingDownloadException(KlingDownloadFailure.NotAVideo, $"The result at {url.GetLeftPart(UriPartial.Path)} is not a whole MP4: {notWhole.Message}. {(File.Exists(full) ? $"{full} was left as it was" : "Nothing was saved")}; download it again later, and if it persists, the result URL may have expired: query the task again.", notWhole.BytesReceived);
                    }

                    file.Flush(flushToDisk: true); // the bytes are on disk before the name points at them
                }

                File.Move(temp, full, options.Overwrite);
                renamed = true;
                return (full, received);
            }
            catch (IOException exception) when (!options.Overwrite && File.Exists(full) && File.Exists(temp))
            {
                throw new KlingDownloadException(KlingDownloadFailure.FileExists, $"{full} appeared while downloading and was left as it is; the download was discarded. Choose another path, or set KlingDownloadOptions.Overwrite to replace it.", received, innerException: exception);
            }
            catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
            {
                throw new KlingDownloadException(KlingDownloadFailure.WriteFailed, $"Could not write {full} ({exception.Message}). Check the folder's permissions and the free disk space; nothing was left at that path.", received, innerException: exception);
            }
        }
        finally
        {
            if (!renamed)
            {
                try
                {
                    File.Delete(temp);
                }
                catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
                {
                    // Best effort: the temporary name starts with a dot and ends with .part, so it is recognisable.
                }
            }
        }
    }

    private async Task<long> DownloadCoreAsync(Uri url, Stream destination, KlingDownloadOptions options, IProgress<KlingDownloadProgress>? progress, Mp4Shape? shape, CancellationToken cancellationToken)
    {
        var http = ResultHostClient();
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(options.Timeout);
        using var idle = CancellationTokenSource.CreateLinkedTokenSource(deadline.Token);
        var current = url;
        var received = 0L;
        try
        {
            for (var hops = 0; ; hops++)
            {
                CheckScheme(current, hops == 0 ? null : url);
                idle.CancelAfter(options.IdleTimeout);
                using var request = new HttpRequestMessage(HttpMethod.Get, current);
                request.Headers.TryAddWithoutValidation("User-Agent", UserAgent);
                if (options.RefusePrivateHosts)
                {
                    await PrivateHosts.CheckAsync(current, idle.Token).ConfigureAwait(false);
                    request.Options.Set(PrivateHosts.RefuseKey, true);
                }

                using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, idle.Token).ConfigureAwait(false);
                var status = (int)response.StatusCode;
                if (status is 301 or 302 or 303 or 307 or 308)
                {
                    if (response.Headers.Location is not { } location)
                    {
                        throw new KlingDownloadException(KlingDownloadFailure.HttpStatus, $"The result host {current.Host} answered HTTP {status} without a Location. Query the task again for a fresh URL.", httpStatus: status);
                    }

                    if (hops >= options.MaxRedirects)
                    {
                        throw new KlingDownloadException(KlingDownloadFailure.TooManyRedirects, $"The result URL redirected more than {options.MaxRedirects} times (KlingDownloadOptions.MaxRedirects). Query the task again for a fresh URL; if it persists, report it.", httpStatus: status);
                    }

                    var next = location.IsAbsoluteUri ? location : new Uri(current, location);
                    if (current.Scheme == Uri.UriSchemeHttps && next.Scheme == Uri.UriSchemeHttp)
                    {
                        throw new KlingDownloadException(KlingDownloadFailure.InvalidUrl, $"The result URL redirected from https to plain http ({next.Host}); it was not followed and nothing was kept. Query the task again for a fresh URL.", httpStatus: status);
                    }

                    current = next;
                    continue;
                }

                if (status is < 200 or > 299)
                {
                    throw new KlingDownloadException(KlingDownloadFailure.HttpStatus, status is 403 or 404 or 410
                        ? $"The result host {current.Host} answered HTTP {status}: the URL may have expired (results are kept for a limited time). Query the task again, or ask for a fresh link with GetDownloadUrlAsync."
                        : $"The result host {current.Host} answered HTTP {status}. Try again later.", httpStatus: status);
                }

                var total = response.Content.Headers.ContentLength;
                if (total > options.MaxBytes)
                {
                    throw new KlingDownloadException(KlingDownloadFailure.TooLarge, $"The result is {total} bytes, more than the {options.MaxBytes} allowed (KlingDownloadOptions.MaxBytes); nothing was kept. Raise the limit if the file is expected to be this large.");
                }

                progress?.Report(new KlingDownloadProgress(0, total));
                await using var body = await response.Content.ReadAsStreamAsync(idle.Token).ConfigureAwait(false);
                var buffer = ArrayPool<byte>.Shared.Rent(DownloadBufferSize);
                try
                {
                    var reported = Environment.TickCount64;
                    while (true)
                    {
                        idle.CancelAfter(options.IdleTimeout);
                        int read;
                        try
                        {
                            read = await body.ReadAsync(buffer.AsMemory(0, DownloadBufferSize), idle.Token).ConfigureAwait(false);
                        }
                        catch (Exception exception) when (exception is IOException or HttpRequestException)
                        {
                            throw new KlingDownloadException(KlingDownloadFailure.ConnectionFailed, $"The connection to {current.Host} broke after {received} of {(total is { } t ? t.ToString(System.Globalization.CultureInfo.InvariantCulture) : "an unknown number of")} bytes ({exception.Message}). Try the download again.", received, innerException: exception);
                        }

                        if (read == 0)
                        {
                            break;
                        }

                        received += read;
                        if (received > options.MaxBytes)
                        {
                            throw new KlingDownloadException(KlingDownloadFailure.TooLarge, $"The result is larger than the {options.MaxBytes} bytes allowed (KlingDownloadOptions.MaxBytes); the download was stopped. Raise the limit if the file is expected to be this large.", received);
                        }

                        if (shape?.Append(buffer.AsSpan(0, read)) is { } notWhole)
                        {
                            throw new NotWholeMp4Exception(notWhole, received); // stop now: the rest cannot make it whole
                        }

                        // Writing is not the server's silence: a slow disk is bounded by the deadline only.
                        await destination.WriteAsync(buffer.AsMemory(0, read), deadline.Token).ConfigureAwait(false);
                        if (progress is not null && Environment.TickCount64 - reported >= 100)
                        {
                            reported = Environment.TickCount64;
                            progress.Report(new KlingDownloadProgress(received, total));
                        }
                    }
                }
                finally
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                }

                progress?.Report(new KlingDownloadProgress(received, total));
                if (shape?.Complete() is { } why)
                {
                    throw new NotWholeMp4Exception(why, received);
                }

                return received;
            }
        }
        catch (OperationCanceledException exception) when (!cancellationToken.IsCancellationRequested && deadline.IsCancellationRequested)
        {
            throw new KlingDownloadException(KlingDownloadFailure.Timeout, $"The download from {current.Host} took longer than {Seconds(options.Timeout)} (KlingDownloadOptions.Timeout) and was stopped after {received} bytes. Try again, or raise the limit for a slow network.", received, innerException: exception);
        }
        catch (OperationCanceledException exception) when (!cancellationToken.IsCancellationRequested && idle.IsCancellationRequested)
        {
            throw new KlingDownloadException(KlingDownloadFailure.IdleTimeout, $"{current.Host} sent nothing for {Seconds(options.IdleTimeout)} (KlingDownloadOptions.IdleTimeout) after {received} bytes; the download was stopped. Try again later.", received, innerException: exception);
        }
        catch (HttpRequestException exception) when (exception.InnerException is KlingDownloadException refused)
        {
            throw refused; // the connect step refused a private address (RefusePrivateHosts)
        }
        catch (HttpRequestException exception) when (!cancellationToken.IsCancellationRequested)
        {
            throw new KlingDownloadException(KlingDownloadFailure.ConnectionFailed, $"Could not download from {current.Host} ({exception.Message}). Check the network, then try again.", received, innerException: exception);
        }
    }

    private static void CheckScheme(Uri url, Uri? original)
    {
        if (!url.IsAbsoluteUri || url.Scheme is not ("http" or "https"))
        {
            var shown = url.IsAbsoluteUri ? url.Scheme + ":" : "a relative URL";
            throw new KlingDownloadException(KlingDownloadFailure.InvalidUrl, original is null
                ? $"A result URL must be an absolute http or https URL, not {shown}; nothing was downloaded."
                : $"The result URL redirected to {shown}, which is not http or https; it was not followed and nothing was kept.");
        }
    }

    private static string Seconds(TimeSpan span) => span.TotalSeconds.ToString("0.###", System.Globalization.CultureInfo.InvariantCulture) + " s";

    /// <summary>The body is not a whole MP4; the file download turns it into <see cref="KlingDownloadFailure.NotAVideo"/>.</summary>
    private sealed class NotWholeMp4Exception(string why, long bytesReceived) : Exception(why)
    {
        public long BytesReceived { get; } = bytesReceived;
    }
}
