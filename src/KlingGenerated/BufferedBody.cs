using System.Buffers;
using System.Net;

namespace KlingGenerated;

/// <summary>An answer's body read once into a pooled buffer; the buffer goes back to the pool when the response is disposed.</summary>
// CUSTOM: lets error mapping and deserialization share one read of the body without copying it (see docs/performance.md).
internal sealed class BufferedBody : HttpContent
{
    /// <summary>The most bytes a KlingClient reads of this request's answer when not the default; set by the client, read by the resilience handler.</summary>
    internal static readonly HttpRequestOptionsKey<int> MaxBytesKey = new("KlingGenerated.MaxResponseBytes");

    private byte[]? _buffer;
    private readonly int _length;

    private BufferedBody(byte[] buffer, int length, bool tooLarge = false)
    {
        _buffer = buffer;
        _length = length;
        TooLarge = tooLarge;
    }

    /// <summary>True when the answer was larger than the cap it was read with; it holds no bytes then.</summary>
    public bool TooLarge { get; }

    public ReadOnlyMemory<byte> Memory => (_buffer ?? throw new ObjectDisposedException(nameof(BufferedBody))).AsMemory(0, _length);

    /// <summary>
    /// Makes the response's content a <see cref="BufferedBody"/>, reading it at most once: the resilience pipeline and the
    /// client's error mapping both look at the body, and whichever comes first reads it. Null when it is larger than
    /// <paramref name="maxBytes"/>.
    /// </summary>
    public static async ValueTask<BufferedBody?> ReplaceContentAsync(HttpResponseMessage response, int maxBytes, CancellationToken cancellationToken)
    {
        if (response.Content is BufferedBody already)
        {
            return !already.TooLarge && already.Memory.Length <= maxBytes ? already : null;
        }

        var body = await ReadAsync(response.Content, maxBytes, cancellationToken).ConfigureAwait(false);

        // Readers of this response read the headers already; only the body is swapped. A body over the cap is
        // replaced by an empty marker, so nobody reads the rest of it later outside the timeouts.
        response.Content.Dispose();
        response.Content = body ?? new BufferedBody([], 0, tooLarge: true);
        return body;
    }

    /// <summary>The wait a <c>Retry-After</c> header asks for, as a delay or a date; null without one.</summary>
    public static TimeSpan? RetryAfterOf(System.Net.Http.Headers.RetryConditionHeaderValue? header) => header switch
    {
        { Delta: { } delta } => delta,
        { Date: { } date } => date - DateTimeOffset.UtcNow is var wait && wait > TimeSpan.Zero ? wait : TimeSpan.Zero,
        _ => null,
    };

    /// <summary>Reads <paramref name="content"/> into a pooled buffer, at most <paramref name="maxBytes"/>; null when it is larger.</summary>
    public static async ValueTask<BufferedBody?> ReadAsync(HttpContent content, int maxBytes, CancellationToken cancellationToken)
    {
        // One byte past the cap is read to see that it was passed: keep that byte countable (MaxResponseBytes may be int.MaxValue).
        maxBytes = Math.Min(maxBytes, Array.MaxLength - 1);
        var expected = content.Headers.ContentLength;
        if (expected > maxBytes)
        {
            return null;
        }

        var buffer = ArrayPool<byte>.Shared.Rent((int)Math.Clamp(expected ?? 4096, 1, maxBytes) + 1);
        var length = 0;
        try
        {
            using var stream = await content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
            int read;
            // Never ask for more than one byte past the cap, whatever size the pool handed out.
            while ((read = await stream.ReadAsync(buffer.AsMemory(length, Math.Min(buffer.Length, maxBytes + 1) - length), cancellationToken).ConfigureAwait(false)) > 0)
            {
                length += read;
                if (length > maxBytes)
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                    return null;
                }

                if (length == buffer.Length)
                {
                    var larger = ArrayPool<byte>.Shared.Rent((int)Math.Min(buffer.Length * 2L, maxBytes + 1L));
                    buffer.AsSpan(0, length).CopyTo(larger);
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = larger;
                }
            }
        }
        catch
        {
            ArrayPool<byte>.Shared.Return(buffer);
            throw;
        }

        // No headers are copied: the generated code read them all before this point, and the error mapping keeps the media type.
        return new BufferedBody(buffer, length);
    }

    protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) => stream.WriteAsync(Memory).AsTask();

    protected override Task<Stream> CreateContentReadStreamAsync() =>
        Task.FromResult<Stream>(new MemoryStream(_buffer ?? throw new ObjectDisposedException(nameof(BufferedBody)), 0, _length, writable: false));

    protected override bool TryComputeLength(out long length)
    {
        length = _length;
        return true;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing && Interlocked.Exchange(ref _buffer, null) is { Length: > 0 } buffer)
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        base.Dispose(disposing);
    }
}
