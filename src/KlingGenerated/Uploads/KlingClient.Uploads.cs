using System.ComponentModel.DataAnnotations;

namespace KlingGenerated;

/// <summary>Uploading local images; see <see cref="KlingClient.UploadFileAsync(string, string, string?, IProgress{long}?, CancellationToken)"/>.</summary>
// CUSTOM: the checked upload calls are part of what callers mock, beside the generated raw operations.
public partial interface IKlingClient
{
    /// <summary>Uploads a local JPEG or PNG file, checked before sending; see <see cref="KlingClient.UploadFileAsync(string, string, string?, IProgress{long}?, CancellationToken)"/>.</summary>
    Task<KlingUploadedFile> UploadFileAsync(string path, string uploadPath = KlingClient.DefaultUploadPath, string? fileName = null, IProgress<long>? progress = null, CancellationToken cancellationToken = default);

    /// <summary>Uploads a stream's JPEG or PNG bytes, checked before sending; see <see cref="KlingClient.UploadFileAsync(Stream, string, string, IProgress{long}?, CancellationToken)"/>.</summary>
    Task<KlingUploadedFile> UploadFileAsync(Stream content, string fileName, string uploadPath = KlingClient.DefaultUploadPath, IProgress<long>? progress = null, CancellationToken cancellationToken = default);

    /// <summary>Uploads bytes as base64 text; see <see cref="KlingClient.UploadFileBase64Async(ReadOnlyMemory{byte}, string, string, CancellationToken)"/>.</summary>
    Task<KlingUploadedFile> UploadFileBase64Async(ReadOnlyMemory<byte> bytes, string fileName, string uploadPath = KlingClient.DefaultUploadPath, CancellationToken cancellationToken = default);

    /// <summary>Has the service fetch a URL; see <see cref="KlingClient.UploadFileFromUrlAsync(Uri, string, string?, CancellationToken)"/>.</summary>
    Task<KlingUploadedFile> UploadFileFromUrlAsync(Uri fileUrl, string uploadPath = KlingClient.DefaultUploadPath, string? fileName = null, CancellationToken cancellationToken = default);
}

// CUSTOM: the generated upload operations take raw parts and return the raw envelope; these check the file against the
// document before anything is sent, report progress, and return the stored file with its URLs checked.
public partial class KlingClient
{
    /// <summary>The folder uploads go to when the caller names none.</summary>
    public const string DefaultUploadPath = "kling-generated/uploads";

    /// <summary>
    /// Uploads the local file at <paramref name="path"/> (JPEG or PNG, at most <see cref="KlingUploadRules.MaxFileBytes"/>)
    /// through <c>UploadFileStream</c>, and returns the stored file: pass its <see cref="KlingUploadedFile.FileUrl"/> as an image input.
    /// </summary>
    /// <param name="path">The file to upload.</param>
    /// <param name="uploadPath">The folder to store it under (<see cref="DefaultUploadPath"/> by default).</param>
    /// <param name="fileName">The name to store it under (the file's own name by default); the same name overwrites an earlier file.</param>
    /// <param name="progress">Told the bytes of the file sent so far, from 0 on each attempt.</param>
    /// <param name="cancellationToken">Cancels the upload.</param>
    /// <exception cref="FileNotFoundException">There is no file at <paramref name="path"/>.</exception>
    /// <exception cref="ValidationException">The file is too large or not JPEG/PNG, or a field breaks the document: nothing was sent.</exception>
    /// <exception cref="KlingApiException">The service refused or failed the upload (also an HTTP 200 with <c>success: false</c>).</exception>
    public async Task<KlingUploadedFile> UploadFileAsync(string path, string uploadPath = DefaultUploadPath, string? fileName = null, IProgress<long>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1, FileOptions.Asynchronous | FileOptions.SequentialScan);
        await using (stream.ConfigureAwait(false))
        {
            return await UploadFileAsync(stream, fileName ?? Path.GetFileName(path), uploadPath, progress, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Uploads what <paramref name="content"/> holds from its current position (JPEG or PNG, at most
    /// <see cref="KlingUploadRules.MaxFileBytes"/>) through <c>UploadFileStream</c>. At most that many bytes plus one are
    /// read before anything is sent; the stream is not disposed.
    /// </summary>
    /// <inheritdoc cref="UploadFileAsync(string, string, string?, IProgress{long}?, CancellationToken)"/>
    public async Task<KlingUploadedFile> UploadFileAsync(Stream content, string fileName, string uploadPath = DefaultUploadPath, IProgress<long>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(content);
        ArgumentNullException.ThrowIfNull(fileName);
        KlingUploadRules.CheckFields("UploadFileStream", ("uploadPath", uploadPath), ("fileName", fileName));
        var bytes = await ReadCappedAsync(content, fileName, cancellationToken).ConfigureAwait(false);
        var mediaType = KlingUploadRules.MediaTypeOf(bytes.AsSpan()) ?? throw NotAnImage(fileName);
        var file = new FileParameter(new UploadBuffer(bytes, progress), fileName, mediaType);
        var answer = await UploadFileStreamAsync(file, uploadPath, fileName, cancellationToken).ConfigureAwait(false);
        return Stored(answer, "UploadFileStream");
    }

    /// <summary>
    /// Uploads <paramref name="bytes"/> as base64 text through <c>UploadFileBase64</c> (for small files: the body is a third
    /// larger). The same checks as <see cref="UploadFileAsync(Stream, string, string, IProgress{long}?, CancellationToken)"/>.
    /// </summary>
    /// <exception cref="ValidationException">The file is too large or not JPEG/PNG, or a field breaks the document: nothing was sent.</exception>
    /// <exception cref="KlingApiException">The service refused or failed the upload (also an HTTP 200 with <c>success: false</c>).</exception>
    public async Task<KlingUploadedFile> UploadFileBase64Async(ReadOnlyMemory<byte> bytes, string fileName, string uploadPath = DefaultUploadPath, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(fileName);
        KlingUploadRules.CheckFields("UploadFileBase64", ("uploadPath", uploadPath), ("fileName", fileName));
        if (bytes.Length > KlingUploadRules.MaxFileBytes)
        {
            throw TooLarge(fileName, bytes.Length);
        }

        var mediaType = KlingUploadRules.MediaTypeOf(bytes.Span) ?? throw NotAnImage(fileName);
        var body = new FileBase64UploadRequest
        {
            Base64Data = $"data:{mediaType};base64,{Convert.ToBase64String(bytes.Span)}",
            UploadPath = uploadPath,
            FileName = fileName,
        };
        return Stored(await UploadFileBase64Async(body, cancellationToken).ConfigureAwait(false), "UploadFileBase64");
    }

    /// <summary>
    /// Asks the service to fetch <paramref name="fileUrl"/> and store it (<c>UploadFileFromUrl</c>). This library never
    /// fetches the URL itself; the simulator records it without fetching.
    /// </summary>
    /// <exception cref="ValidationException">The URL or a field breaks the document: nothing was sent.</exception>
    /// <exception cref="KlingApiException">The service refused or failed the upload (also an HTTP 200 with <c>success: false</c>).</exception>
    public async Task<KlingUploadedFile> UploadFileFromUrlAsync(Uri fileUrl, string uploadPath = DefaultUploadPath, string? fileName = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(fileUrl);
        KlingUploadRules.CheckFields("UploadFileFromUrl", ("fileUrl", fileUrl.OriginalString), ("uploadPath", uploadPath), ("fileName", fileName));
        var body = new FileUrlUploadRequest { FileUrl = fileUrl, UploadPath = uploadPath, FileName = fileName };
        return Stored(await UploadFileFromUrlAsync(body, cancellationToken).ConfigureAwait(false), "UploadFileFromUrl");
    }

    /// <summary>Reads at most the document's cap plus one byte: a larger file is refused without reading the rest.</summary>
    private static async Task<ArraySegment<byte>> ReadCappedAsync(Stream content, string fileName, CancellationToken cancellationToken)
    {
        var max = KlingUploadRules.MaxFileBytes;
        if (content.CanSeek && content.Length - content.Position > max)
        {
            throw TooLarge(fileName, content.Length - content.Position);
        }

        using var buffer = new MemoryStream();
        var chunk = new byte[81920];
        int read;
        while ((read = await content.ReadAsync(chunk, cancellationToken).ConfigureAwait(false)) > 0)
        {
            if (buffer.Length + read > max)
            {
                throw TooLarge(fileName, null);
            }

            buffer.Write(chunk, 0, read);
        }

        return new ArraySegment<byte>(buffer.GetBuffer(), 0, (int)buffer.Length);
    }

    /// <summary>The stored file of a successful answer (the classifier already turned every failure into KlingApiException), its URLs checked.</summary>
    private static KlingUploadedFile Stored(FileUploadResponse answer, string operationId)
    {
        var data = answer.Data;
        if (data?.FileUrl is not { } fileUrl || !IsHttpUrl(fileUrl))
        {
            throw KlingApiException.ForOutcome(KlingOutcome.NotUsed(operationId, answer.Code, 200),
                $"The upload answered success but {(data?.FileUrl is null ? "no fileUrl" : "a fileUrl that is not an absolute http(s) URL")}, so the file cannot be used. Upload it again; if it persists, report it", null);
        }

        return new KlingUploadedFile(fileUrl, data.DownloadUrl is { } download && IsHttpUrl(download) ? download : null,
            data.FileId, data.FileName, data.FileSize, data.MimeType, data.ExpiresAt);
    }

    private static bool IsHttpUrl(Uri url) => url.IsAbsoluteUri && url.Scheme is "http" or "https" && !string.IsNullOrEmpty(url.Host);

    private static ValidationException TooLarge(string fileName, long? length) => new(
        $"The upload was not sent: {Printable(fileName)} is {(length is { } bytes ? $"{bytes} bytes" : "larger than that")}, more than the {KlingUploadRules.MaxFileBytes} bytes the document allows (x-kling-max-bytes).");

    private static ValidationException NotAnImage(string fileName) => new(
        $"The upload was not sent: {Printable(fileName)} is not {string.Join(" or ", KlingUploadRules.MediaTypes)} (judged from its first bytes, not its name).");

    private static string Printable(string text) => "'" + new string(text.Select(c => char.IsControl(c) ? '?' : c).Take(200).ToArray()) + "'";
}
