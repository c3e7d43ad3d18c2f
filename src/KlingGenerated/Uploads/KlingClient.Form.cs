using System.Net;

namespace KlingGenerated;

// CUSTOM: NSwag's stock multipart code copies a stream once (no retry can send it again) and reports no progress; the
// generated upload (Templates/Client.Class.liquid) builds its form here instead, from the document's parts in order.
public partial class KlingClient
{
    /// <summary>A multipart form: files as their bytes (replayable for a retry, with progress), text as UTF-8; null parts are left out.</summary>
    private static MultipartFormDataContent SerializeForm(KeyValuePair<string, object?>[] parts)
    {
        var form = new MultipartFormDataContent("kling-" + Guid.NewGuid().ToString("N"));
        foreach (var (name, value) in parts)
        {
            switch (value)
            {
                case null:
                    break;
                case FileParameter file:
                    HttpContent part = file.Data is UploadBuffer buffer ? new UploadContent(buffer) : new StreamContent(file.Data);
                    if (!string.IsNullOrEmpty(file.ContentType))
                    {
                        part.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue(file.ContentType);
                    }

                    form.Add(part, name, file.FileName ?? name);
                    break;
                case string text:
                    form.Add(new StringContent(text), name);
                    break;
                default:
                    form.Add(new StringContent(Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture) ?? string.Empty), name);
                    break;
            }
        }

        return form;
    }

    /// <summary>A file already read whole (so every attempt sends the same bytes), with who to tell about progress.</summary>
    internal sealed class UploadBuffer(ArraySegment<byte> bytes, IProgress<long>? progress) : MemoryStream(bytes.Array!, bytes.Offset, bytes.Count, writable: false)
    {
        public ReadOnlyMemory<byte> Bytes { get; } = bytes;

        public IProgress<long>? Progress { get; } = progress;
    }

    /// <summary>The file's part: its bytes in chunks, telling the progress the bytes sent so far on every attempt.</summary>
    private sealed class UploadContent(UploadBuffer buffer) : HttpContent
    {
        private const int Chunk = 64 * 1024;

        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken)
        {
            var bytes = buffer.Bytes;
            buffer.Progress?.Report(0);
            for (var sent = 0; sent < bytes.Length;)
            {
                var size = Math.Min(Chunk, bytes.Length - sent);
                await stream.WriteAsync(bytes.Slice(sent, size), cancellationToken).ConfigureAwait(false);
                sent += size;
                buffer.Progress?.Report(sent);
            }
        }

        protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) =>
            SerializeToStreamAsync(stream, context, CancellationToken.None);

        protected override bool TryComputeLength(out long length)
        {
            length = buffer.Bytes.Length;
            return true;
        }
    }
}
