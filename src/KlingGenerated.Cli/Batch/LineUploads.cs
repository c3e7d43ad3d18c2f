using System.Collections.Concurrent;
using System.Globalization;
using KlingGenerated.Cli.Ledger;
using Newtonsoft.Json.Linq;

namespace KlingGenerated.Cli.Batch;

/// <summary>
/// Uploads a batch line's local images through the library (<see cref="IKlingClient.UploadFileAsync(Stream, string, string, IProgress{long}?, CancellationToken)"/>,
/// free) just before the line is sent, each file once per run whatever number of lines use it, and gives the request to
/// send: the line's request with each stand-in replaced by its upload's <c>fileUrl</c>. The bytes uploaded are the bytes
/// the line's identity was computed from: a file changed since the batch was read is refused, not uploaded.
/// </summary>
internal sealed class LineUploads(IKlingClient client)
{
    private readonly ConcurrentDictionary<string, Lazy<Task<KlingUploadedFile>>> _uploads = new(StringComparer.Ordinal);

    /// <summary>
    /// The request to send for <paramref name="status"/>'s line, its images uploaded first (each shown on
    /// <paramref name="display"/> by the line that uploads it).
    /// </summary>
    /// <exception cref="KlingApiException">The service refused or failed an upload.</exception>
    /// <exception cref="System.ComponentModel.DataAnnotations.ValidationException">The library refused the file before sending it.</exception>
    /// <exception cref="LineImageChangedException">A file changed (or went) since the batch was read.</exception>
    public async Task<VideoTaskRequest> RequestToSendAsync(LineStatus status, BatchDisplay display, CancellationToken cancellationToken)
    {
        var line = status.Line;
        if (line.Images.Count == 0)
        {
            return line.Request;
        }

        var urls = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var image in line.Images.DistinctBy(i => i.Sha256))
        {
            var upload = _uploads.GetOrAdd(image.Sha256, _ => new Lazy<Task<KlingUploadedFile>>(() => UploadAsync(image, status.Label, display, cancellationToken)));
            urls[image.StandIn] = (await upload.Value.ConfigureAwait(false)).FileUrl.AbsoluteUri;
        }

        var body = JObject.Parse(LedgeredCreate.Serialize(line.Request));
        foreach (var value in ((JContainer)body["input"]!).Descendants().OfType<JValue>().Where(v => v.Type == JTokenType.String).ToList())
        {
            if (urls.TryGetValue((string)value!, out var url))
            {
                value.Replace(new JValue(url));
            }
        }

        return body.ToObject<VideoTaskRequest>()!; // the generated converter reads the model's own request type
    }

    private async Task<KlingUploadedFile> UploadAsync(LineImage image, string label, BatchDisplay display, CancellationToken cancellationToken)
    {
        await Task.Yield();
        byte[] bytes;
        try
        {
            bytes = await File.ReadAllBytesAsync(image.Path, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            throw new LineImageChangedException($"'{Text.Safe(image.Path, 120)}' cannot be read any more ({ExitCodes.OneLine(exception.Message)}); nothing was sent for it.");
        }

        if (LineImages.Sha256Of(bytes) != image.Sha256)
        {
            throw new LineImageChangedException($"'{Text.Safe(image.Path, 120)}' changed since the batch was read; nothing was sent for it. Run the batch again to send the new image as a new line.");
        }

        using var content = new MemoryStream(bytes, writable: false);
        var stored = await client.UploadFileAsync(content, UploadName(image), cancellationToken: cancellationToken).ConfigureAwait(false);
        var expires = stored.ExpiresAt is { } at ? at.ToUniversalTime().ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture) : "not said";
        display.Event($"line {label}: uploaded {Text.Safe(Path.GetFileName(image.Path), 80)} ({bytes.Length.ToString(CultureInfo.InvariantCulture)} bytes) to {Text.Safe(stored.FileUrl.AbsoluteUri, 160)} (expires {expires})");
        return stored;
    }

    /// <summary>
    /// The name the file is stored under: its own, with its hash, as the service overwrites a file uploaded earlier under
    /// the same name (two files called boat.png in two folders are two files).
    /// </summary>
    internal static string UploadName(LineImage image)
    {
        var name = Path.GetFileNameWithoutExtension(image.Path);
        var extension = Path.GetExtension(image.Path);
        static string Clean(string text, int max) => new(text.Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' ? c : '_').Take(max).ToArray());
        return $"{Clean(name, 80)}-{image.Sha256[..16]}{Clean(extension, 10)}";
    }
}

/// <summary>A batch line's local image can no longer be uploaded as the batch read it: the line is not sent.</summary>
internal sealed class LineImageChangedException(string message) : Exception(message);
