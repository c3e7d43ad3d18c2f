using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using KlingGenerated;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Net.Http.Headers;

namespace KlingGenerated.Simulator;

/// <summary>
/// kie.ai's File Upload API: the three upload operations store files in memory (bounded by
/// <see cref="KlingSimulatorOptions.MaxUploads"/> and <see cref="KlingSimulatorOptions.MaxUploadStoreBytes"/>) and serve
/// them on loopback until <c>expiresAt</c>. <c>UploadFileFromUrl</c> records the URL and never fetches it.
/// </summary>
public sealed partial class KlingSimulator
{
    private readonly ConcurrentDictionary<string, StoredUpload> _uploads = new(StringComparer.Ordinal);
    private readonly Lock _uploadGate = new();
    private long _uploadCounter;

    /// <summary>
    /// Where a client sends the upload operations (its <c>KlingClientOptions.UploadBaseUrl</c>): the simulator serves them
    /// on its own address, as the document's <c>servers</c> of those operations is kie.ai's upload host.
    /// </summary>
    public Uri UploadBaseUrl => BaseUrl;

    /// <summary>Files held now, with what they were uploaded as (URL uploads hold no bytes: the URL was never fetched).</summary>
    public IReadOnlyList<(string FileId, string FileName, long Size, string? SourceUrl)> Uploads =>
        _uploads.Values.Where(u => u.ExpiresAt > Now).Select(u => (u.FileId, u.FileName, (long)(u.Bytes?.Length ?? 0), u.SourceUrl)).ToList();

    /// <summary>The largest upload body read: a base64 file of the document's cap, with room for the JSON around it.</summary>
    internal static long UploadBodyCap => (KlingUploadRules.MaxFileBytes + 2) / 3 * 4 + 64 * 1024;

    private void MapUploads(Microsoft.AspNetCore.Builder.WebApplication app, Action<string, string, RequestDelegate> route)
    {
        route("POST", "/api/file-stream-upload", context => Handle(context, UploadStreamAsync, UploadBodyCap));
        route("POST", "/api/file-base64-upload", context => Handle(context, UploadBase64Async, UploadBodyCap));
        route("POST", "/api/file-url-upload", context => Handle(context, UploadUrlAsync, _options.MaxRequestBodyBytes));
        Microsoft.AspNetCore.Builder.EndpointRouteBuilderExtensions.MapGet(app, "/uploads/{fileId}/{name}", ServeUploadAsync);
    }

    private async Task<Answer> UploadStreamAsync(HttpContext context, Caller caller)
    {
        var boundary = MediaTypeHeaderValue.TryParse(context.Request.ContentType, out var type) ? HeaderUtilities.RemoveQuotes(type.Boundary).Value : null;
        if (string.IsNullOrEmpty(boundary) || caller.Raw is null)
        {
            return Refused("The body is not multipart/form-data with a boundary.");
        }

        caller.Raw.Position = 0;
        var reader = new MultipartReader(boundary, caller.Raw);
        byte[]? file = null;
        string? originalName = null;
        var fields = new Dictionary<string, string?>(StringComparer.Ordinal) { ["uploadPath"] = null, ["fileName"] = null };
        while (await reader.ReadNextSectionAsync(context.RequestAborted).ConfigureAwait(false) is { } section)
        {
            if (!ContentDispositionHeaderValue.TryParse(section.ContentDisposition, out var disposition) || disposition.Name.Value is not { } name)
            {
                return Refused("A part of the form has no name.");
            }

            using var copy = new MemoryStream();
            await section.Body.CopyToAsync(copy, context.RequestAborted).ConfigureAwait(false);
            if (name == "file")
            {
                file = copy.ToArray();
                originalName = HeaderUtilities.RemoveQuotes(disposition.FileName).Value;
            }
            else if (fields.ContainsKey(name))
            {
                fields[name] = System.Text.Encoding.UTF8.GetString(copy.GetBuffer(), 0, (int)copy.Length);
            }
        }

        if (file is null)
        {
            return Refused("file is required.");
        }

        return Store("UploadFileStream", fields, file, originalName, sourceUrl: null);
    }

    private Task<Answer> UploadBase64Async(HttpContext context, Caller caller)
    {
        _ = context;
        var body = JsonNode.Parse(caller.Body!)!.AsObject();
        var data = (string)body["base64Data"]!;
        var comma = data.StartsWith("data:", StringComparison.Ordinal) ? data.IndexOf(',', StringComparison.Ordinal) : -1;
        byte[] file;
        try
        {
            file = Convert.FromBase64String(comma >= 0 ? data[(comma + 1)..] : data);
        }
        catch (FormatException)
        {
            return Task.FromResult(Refused("base64Data is not base64 text."));
        }

        return Task.FromResult(Store("UploadFileBase64", Fields(body), file, (string?)body["fileName"], sourceUrl: null));
    }

    private Task<Answer> UploadUrlAsync(HttpContext context, Caller caller)
    {
        _ = context;
        var body = JsonNode.Parse(caller.Body!)!.AsObject();
        var url = (string)body["fileUrl"]!;

        // Never fetched: the simulator must not reach out to a URL a caller names. The file is recorded without bytes.
        var name = (string?)body["fileName"] ?? Path.GetFileName(new Uri(url).AbsolutePath);
        return Task.FromResult(Store("UploadFileFromUrl", Fields(body), file: null, string.IsNullOrEmpty(name) ? "file" : name, sourceUrl: url));
    }

    private static Dictionary<string, string?> Fields(JsonObject body) => new(StringComparer.Ordinal)
    {
        ["uploadPath"] = (string?)body["uploadPath"],
        ["fileName"] = (string?)body["fileName"],
    };

    private Answer Store(string operationId, Dictionary<string, string?> fields, byte[]? file, string? originalName, string? sourceUrl)
    {
        if (KlingUploadRules.FieldProblems(operationId, fields) is { Count: > 0 } problems)
        {
            return Refused(problems[0]);
        }

        string? mimeType = null;
        if (file is not null)
        {
            if (file.Length > KlingUploadRules.MaxFileBytes)
            {
                return Refused($"The file is {file.Length} bytes, more than the {KlingUploadRules.MaxFileBytes} the document allows.");
            }

            mimeType = KlingUploadRules.MediaTypeOf(file) ?? string.Empty;
            if (mimeType.Length == 0)
            {
                return Refused($"The file is not {string.Join(" or ", KlingUploadRules.MediaTypes)}.");
            }
        }

        var now = Now;
        var fileName = fields["fileName"] ?? originalName ?? "file";
        var uploadPath = fields["uploadPath"]!;
        StoredUpload stored;
        lock (_uploadGate)
        {
            foreach (var expired in _uploads.Values.Where(u => u.ExpiresAt <= now).ToList())
            {
                _uploads.TryRemove(expired.FileId, out _);
            }

            // The same fileName in the same uploadPath overwrites the earlier file, as the service does.
            var replaced = _uploads.Values.FirstOrDefault(u => u.UploadPath == uploadPath && u.FileName == fileName);
            var count = _uploads.Count - (replaced is null ? 0 : 1);
            var total = _uploads.Values.Sum(u => (long)(u.Bytes?.Length ?? 0)) - (replaced?.Bytes?.Length ?? 0);
            if (count >= _options.MaxUploads || total + (file?.Length ?? 0) > _options.MaxUploadStoreBytes)
            {
                return Refused($"The simulator holds {count} uploads ({total} bytes); it keeps at most {_options.MaxUploads} files and {_options.MaxUploadStoreBytes} bytes (KlingSimulatorOptions.MaxUploads, MaxUploadStoreBytes; --max-uploads, --max-upload-bytes). Restart it, or wait until files expire.");
            }

            if (replaced is not null)
            {
                _uploads.TryRemove(replaced.FileId, out _);
            }

            var fileId = $"file_{now.ToUnixTimeMilliseconds()}{Interlocked.Increment(ref _uploadCounter):D4}";
            stored = new StoredUpload(fileId, fileName, originalName ?? fileName, uploadPath, mimeType, file, sourceUrl, now, now + _options.UploadRetention);
            _uploads[fileId] = stored;
        }

        var fileUrl = new Uri(BaseUrl, $"uploads/{stored.FileId}/{Uri.EscapeDataString(stored.FileName)}").AbsoluteUri;
        return new Answer(200, new JsonObject
        {
            ["success"] = true,
            ["code"] = 200,
            ["msg"] = sourceUrl is null ? "File uploaded successfully" : "File URL recorded (the simulator never fetches URLs)",
            ["data"] = new JsonObject
            {
                ["fileId"] = stored.FileId,
                ["fileName"] = stored.FileName,
                ["originalName"] = stored.OriginalName,
                ["fileSize"] = file?.Length ?? 0,
                ["mimeType"] = mimeType ?? "application/octet-stream",
                ["uploadPath"] = stored.UploadPath,
                ["fileUrl"] = fileUrl,
                ["downloadUrl"] = fileUrl + "?download=1",
                ["uploadTime"] = stored.UploadedAt.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", System.Globalization.CultureInfo.InvariantCulture),
                ["expiresAt"] = stored.ExpiresAt.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", System.Globalization.CultureInfo.InvariantCulture),
            },
        });
    }

    /// <summary>A failure as the upload API sends it: HTTP 200, <c>success: false</c>, code 400.</summary>
    private static Answer Refused(string message) =>
        new(200, new JsonObject { ["success"] = false, ["code"] = 400, ["msg"] = message, ["data"] = null });

    private async Task ServeUploadAsync(HttpContext context)
    {
        var fileId = (string)context.Request.RouteValues["fileId"]!;
        if (!_uploads.TryGetValue(fileId, out var upload) || upload.ExpiresAt <= Now || upload.Bytes is null)
        {
            context.Response.StatusCode = 404;
            return;
        }

        context.Response.ContentType = upload.MimeType;
        context.Response.Headers.XContentTypeOptions = "nosniff";
        context.Response.ContentLength = upload.Bytes.Length;
        await context.Response.Body.WriteAsync(upload.Bytes, context.RequestAborted).ConfigureAwait(false);
    }

    private sealed record StoredUpload(string FileId, string FileName, string OriginalName, string UploadPath, string? MimeType, byte[]? Bytes, string? SourceUrl, DateTimeOffset UploadedAt, DateTimeOffset ExpiresAt);
}
