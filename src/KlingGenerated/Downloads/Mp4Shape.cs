using System.Buffers.Binary;

namespace KlingGenerated;

/// <summary>
/// Checks, while the bytes stream in, that a result is a whole MP4: top-level boxes from <c>ftyp</c> that add up to its
/// length, with <c>moov</c> and <c>mdat</c>. It only reads box headers as they pass (no seek, no second read), so it runs
/// inside the download's deadline and cancellation, and it stops at <see cref="KlingDownloadOptions.MaxMp4Boxes"/>
/// top-level boxes, so a body of millions of tiny boxes fails at once instead of costing a walk per box.
/// </summary>
// CUSTOM: a result host can answer 200 with an HTML page, nothing, or a body cut short without a Content-Length; only a whole MP4 may replace a file.
internal sealed class Mp4Shape(int maxBoxes)
{
    private readonly byte[] _header = new byte[16];
    private int _headerLength;
    private long _position;
    private long _boxStart;
    private long _nextBox; // where the next top-level box starts
    private bool _runsToEnd; // the last box (size 0) runs to the end of the body
    private long _claimed;
    private string _type = string.Empty;
    private int _boxes;
    private bool _moov, _mdat;

    /// <summary>Reads the next bytes of the body; returns why it is not a whole MP4 as soon as that is certain, else null.</summary>
    public string? Append(ReadOnlySpan<byte> bytes)
    {
        while (!bytes.IsEmpty)
        {
            if (_headerLength == 0 && (_runsToEnd || _position < _nextBox))
            {
                // Inside a box's payload: skip to its end (or to the end of these bytes).
                var skip = _runsToEnd ? bytes.Length : (int)Math.Min(bytes.Length, _nextBox - _position);
                _position += skip;
                bytes = bytes[skip..];
                continue;
            }

            if (_headerLength == 0)
            {
                _boxStart = _position;
            }

            var wanted = _headerLength < 8 ? 8 : 16;
            var take = Math.Min(bytes.Length, wanted - _headerLength);
            bytes[..take].CopyTo(_header.AsSpan(_headerLength));
            _headerLength += take;
            _position += take;
            bytes = bytes[take..];
            if (_headerLength < 8)
            {
                continue;
            }

            long size = BinaryPrimitives.ReadUInt32BigEndian(_header);
            if (size == 1 && _headerLength < 16)
            {
                continue; // a 64-bit size follows
            }

            if (Box(size == 1 ? (long)Math.Min(BinaryPrimitives.ReadUInt64BigEndian(_header.AsSpan(8)), long.MaxValue) : size, size == 1 ? 16 : 8) is { } why)
            {
                return why;
            }
        }

        return null;
    }

    /// <summary>Called at the end of the body: null when it was a whole MP4, else why not.</summary>
    public string? Complete()
    {
        if (_position == 0)
        {
            return "the body was empty";
        }

        if (_headerLength > 0)
        {
            return $"it ends inside a box header at byte {_boxStart}";
        }

        if (!_runsToEnd && _nextBox > _position)
        {
            return $"its '{Printable(_type)}' box at byte {_boxStart} claims {_claimed} bytes but only {_position - _boxStart} remain (cut short?)";
        }

        return _moov && _mdat ? null : $"it has no '{(_moov ? "mdat" : "moov")}' box";
    }

    private string? Box(long size, int headerSize)
    {
        _headerLength = 0;
        _type = System.Text.Encoding.ASCII.GetString(_header, 4, 4);
        if (_boxes == 0 && _type != "ftyp")
        {
            return "it does not start with an MP4 'ftyp' box (an error page or another format?)";
        }

        if (++_boxes > maxBoxes)
        {
            return $"it has more than {maxBoxes} top-level boxes (KlingDownloadOptions.MaxMp4Boxes): not a video this client produces";
        }

        if (size == 0)
        {
            _runsToEnd = true;
            _moov |= _type == "moov";
            _mdat |= _type == "mdat";
            return null;
        }

        if (size < headerSize)
        {
            return $"its '{Printable(_type)}' box at byte {_boxStart} claims {size} bytes, less than its own header";
        }

        _claimed = size;
        _nextBox = size > long.MaxValue - _boxStart ? long.MaxValue : _boxStart + size;
        _moov |= _type == "moov";
        _mdat |= _type == "mdat";
        return null;
    }

    private static string Printable(string type) => new(type.Select(c => c is >= ' ' and <= '~' ? c : '?').ToArray());
}
