namespace KlingGenerated.Tests.Infrastructure;

/// <summary>A forward-only body for fake HTTP answers: the tests' streams differ only in <see cref="Stream.Read(byte[], int, int)"/>, so the rest is written once here.</summary>
internal abstract class ReadOnlyTestStream : Stream
{
    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => BytesRead; set => throw new NotSupportedException(); }

    /// <summary>How many bytes <see cref="Stream.Read(byte[], int, int)"/> has given so far.</summary>
    protected abstract long BytesRead { get; }

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
