using System.Buffers.Binary;

namespace KlingGenerated;

// CUSTOM: a result host can answer 200 with an HTML page, nothing, or a body cut short without a Content-Length; only a whole MP4 may replace a file.
internal static class Mp4Shape
{
    /// <summary>Null when <paramref name="file"/> is a whole MP4: top-level boxes from <c>ftyp</c> that add up to its length, with <c>moov</c> and <c>mdat</c>; else why not.</summary>
    public static string? WhyNotWhole(FileStream file)
    {
        var length = file.Length;
        if (length == 0)
        {
            return "the body was empty";
        }

        Span<byte> header = stackalloc byte[16];
        long position = 0;
        bool first = true, moov = false, mdat = false;
        while (position < length)
        {
            if (length - position < 8)
            {
                return $"it ends inside a box header at byte {position}";
            }

            file.Position = position;
            file.ReadExactly(header[..8]);
            long size = BinaryPrimitives.ReadUInt32BigEndian(header);
            var type = System.Text.Encoding.ASCII.GetString(header.Slice(4, 4));
            var headerSize = 8L;
            if (size == 1)
            {
                if (length - position < 16)
                {
                    return $"it ends inside a box header at byte {position}";
                }

                file.ReadExactly(header.Slice(8, 8));
                size = (long)BinaryPrimitives.ReadUInt64BigEndian(header.Slice(8, 8));
                headerSize = 16;
            }
            else if (size == 0)
            {
                size = length - position; // the last box runs to the end of the file
            }

            if (first && type != "ftyp")
            {
                return "it does not start with an MP4 'ftyp' box (an error page or another format?)";
            }

            if (size < headerSize || size > length - position)
            {
                return $"its '{Printable(type)}' box at byte {position} claims {size} bytes but only {length - position} remain (cut short?)";
            }

            moov |= type == "moov";
            mdat |= type == "mdat";
            first = false;
            position += size;
        }

        return moov && mdat ? null : $"it has no '{(moov ? "mdat" : "moov")}' box";
    }

    private static string Printable(string type) => new(type.Select(c => c is >= ' ' and <= '~' ? c : '?').ToArray());
}
