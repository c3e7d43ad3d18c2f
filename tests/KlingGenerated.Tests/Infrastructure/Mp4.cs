using System.Buffers.Binary;
using System.Text;

namespace KlingGenerated.Tests.Infrastructure;

/// <summary>
/// Reads an MP4 (ISO BMFF, ISO/IEC 14496-12) file's structure in managed code, so the tests need no ffprobe: the
/// top-level boxes, and for each track its handler, sample entry (codec), size, duration and sample table, with every
/// chunk checked to lie inside the file's <c>mdat</c>.
/// </summary>
public static class Mp4
{
    public sealed record Track(string Handler, string Codec, int Width, int Height, int Channels, int SampleRate, uint Timescale, ulong DurationUnits, int SampleCount, long SampleBytes)
    {
        public double Seconds => Timescale == 0 ? 0 : (double)DurationUnits / Timescale;
    }

    public sealed record File(IReadOnlyList<string> TopLevelBoxes, string MajorBrand, double MovieSeconds, IReadOnlyList<Track> Tracks);

    private readonly record struct Box(string Type, int Start, int BodyStart, int End);

    /// <summary>
    /// Asserts <paramref name="file"/> is the simulator's clip as the ffmpeg command in docs/simulator.md makes it: an H.264 ('avc1')
    /// 320x180 video track and an AAC ('mp4a') audio track, each about 2 s long, with their samples in the media data.
    /// </summary>
    public static void ShouldBeThePlayableSample(byte[] file)
    {
        var mp4 = Read(file);
        mp4.TopLevelBoxes[0].Should().Be("ftyp");
        mp4.TopLevelBoxes.Should().Contain(["moov", "mdat"]);
        mp4.MovieSeconds.Should().BeApproximately(2.0, 0.1);
        var video = mp4.Tracks.Should().ContainSingle(t => t.Handler == "vide").Which;
        video.Codec.Should().Be("avc1");
        (video.Width, video.Height).Should().Be((320, 180));
        video.Seconds.Should().BeApproximately(2.0, 0.1);
        video.SampleCount.Should().Be(48, "2 s at 24 frames a second");
        var audio = mp4.Tracks.Should().ContainSingle(t => t.Handler == "soun").Which;
        audio.Codec.Should().Be("mp4a");
        audio.Channels.Should().BePositive();
        audio.SampleRate.Should().BePositive();
        audio.Seconds.Should().BeApproximately(2.0, 0.1);
        audio.SampleCount.Should().BePositive();
    }

    /// <summary>The top-level box types, each box's size checked against the file.</summary>
    public static IReadOnlyList<string> TopLevelBoxes(byte[] file) => Children(file, 0, file.Length).Select(b => b.Type).ToList();

    /// <summary>Reads the structure and checks it is consistent; throws <see cref="FormatException"/> naming what is wrong.</summary>
    public static File Read(byte[] file)
    {
        var top = Children(file, 0, file.Length);
        var ftyp = Single(top, "ftyp", "file");
        var moov = Single(top, "moov", "file");
        var mdats = top.Where(b => b.Type == "mdat").ToList();
        if (mdats.Count == 0 || mdats.All(m => m.End == m.BodyStart))
        {
            throw new FormatException("The file has no media data (no non-empty 'mdat' box).");
        }

        var brand = Encoding.ASCII.GetString(file, ftyp.BodyStart, 4);
        var moovChildren = Children(file, moov.BodyStart, moov.End);
        var mvhd = Single(moovChildren, "mvhd", "moov");
        var (movieScale, movieDuration) = TimescaleAndDuration(file, mvhd, durationOffsetV0: 16, durationOffsetV1: 24);
        var tracks = new List<Track>();
        foreach (var trak in moovChildren.Where(b => b.Type == "trak"))
        {
            tracks.Add(ReadTrack(file, trak, mdats));
        }

        if (tracks.Count == 0)
        {
            throw new FormatException("The movie has no tracks.");
        }

        return new File(top.Select(b => b.Type).ToList(), brand, movieScale == 0 ? 0 : (double)movieDuration / movieScale, tracks);
    }

    private static Track ReadTrack(byte[] file, Box trak, List<Box> mdats)
    {
        var mdia = Single(Children(file, trak.BodyStart, trak.End), "mdia", "trak");
        var mdiaChildren = Children(file, mdia.BodyStart, mdia.End);
        var (timescale, duration) = TimescaleAndDuration(file, Single(mdiaChildren, "mdhd", "mdia"), durationOffsetV0: 16, durationOffsetV1: 24);
        var hdlr = Single(mdiaChildren, "hdlr", "mdia");
        var handler = Encoding.ASCII.GetString(file, hdlr.BodyStart + 8, 4);
        var minf = Single(mdiaChildren, "minf", "mdia");
        var stbl = Single(Children(file, minf.BodyStart, minf.End), "stbl", "minf");
        var stblChildren = Children(file, stbl.BodyStart, stbl.End);

        // stsd: version/flags (4), entry count (4), then sample entries; each is a box whose type is the codec.
        var stsd = Single(stblChildren, "stsd", "stbl");
        var entries = Children(file, stsd.BodyStart + 8, stsd.End);
        if (entries.Count != BinaryPrimitives.ReadUInt32BigEndian(file.AsSpan(stsd.BodyStart + 4)) || entries.Count == 0)
        {
            throw new FormatException("The 'stsd' entry count does not match its sample entries.");
        }

        var entry = entries[0];
        int width = 0, height = 0, channels = 0, sampleRate = 0;
        if (handler == "vide")
        {
            // VisualSampleEntry: 6 reserved + 2 data ref index + 16 pre-defined/reserved, then width and height.
            width = BinaryPrimitives.ReadUInt16BigEndian(file.AsSpan(entry.BodyStart + 24));
            height = BinaryPrimitives.ReadUInt16BigEndian(file.AsSpan(entry.BodyStart + 26));
        }
        else if (handler == "soun")
        {
            // AudioSampleEntry: 6 + 2, 8 reserved, channel count, sample size, 4 pre-defined/reserved, rate as 16.16.
            channels = BinaryPrimitives.ReadUInt16BigEndian(file.AsSpan(entry.BodyStart + 16));
            sampleRate = (int)(BinaryPrimitives.ReadUInt32BigEndian(file.AsSpan(entry.BodyStart + 24)) >> 16);
        }

        // stsz: version/flags, a fixed sample size (0 = per-sample table), count, then the sizes.
        var stsz = Single(stblChildren, "stsz", "stbl");
        var fixedSize = BinaryPrimitives.ReadUInt32BigEndian(file.AsSpan(stsz.BodyStart + 4));
        var sampleCount = checked((int)BinaryPrimitives.ReadUInt32BigEndian(file.AsSpan(stsz.BodyStart + 8)));
        long sampleBytes = 0;
        if (fixedSize != 0)
        {
            sampleBytes = (long)fixedSize * sampleCount;
        }
        else
        {
            Need(stsz, stsz.BodyStart + 12 + (4L * sampleCount));
            for (var i = 0; i < sampleCount; i++)
            {
                sampleBytes += BinaryPrimitives.ReadUInt32BigEndian(file.AsSpan(stsz.BodyStart + 12 + (4 * i)));
            }
        }

        // stco (32-bit) or co64 (64-bit) chunk offsets: every chunk must start inside an mdat.
        var offsets = new List<long>();
        if (stblChildren.FirstOrDefault(b => b.Type == "stco") is { Type: not null } stco)
        {
            var count = (int)BinaryPrimitives.ReadUInt32BigEndian(file.AsSpan(stco.BodyStart + 4));
            Need(stco, stco.BodyStart + 8 + (4L * count));
            for (var i = 0; i < count; i++)
            {
                offsets.Add(BinaryPrimitives.ReadUInt32BigEndian(file.AsSpan(stco.BodyStart + 8 + (4 * i))));
            }
        }
        else
        {
            var co64 = Single(stblChildren, "co64", "stbl (no 'stco' either)");
            var count = (int)BinaryPrimitives.ReadUInt32BigEndian(file.AsSpan(co64.BodyStart + 4));
            Need(co64, co64.BodyStart + 8 + (8L * count));
            for (var i = 0; i < count; i++)
            {
                offsets.Add((long)BinaryPrimitives.ReadUInt64BigEndian(file.AsSpan(co64.BodyStart + 8 + (8 * i))));
            }
        }

        if (sampleCount > 0 && offsets.Count == 0)
        {
            throw new FormatException($"The '{handler}' track has {sampleCount} samples but no chunks.");
        }

        foreach (var offset in offsets.Where(o => !mdats.Any(m => o >= m.BodyStart && o < m.End)))
        {
            throw new FormatException($"A chunk of the '{handler}' track starts at {offset}, outside the media data.");
        }

        if (sampleBytes > mdats.Sum(m => (long)(m.End - m.BodyStart)))
        {
            throw new FormatException($"The '{handler}' track's samples ({sampleBytes} bytes) do not fit in the media data.");
        }

        return new Track(handler, Encoding.ASCII.GetString(file, entry.Start + 4, 4), width, height, channels, sampleRate, timescale, duration, sampleCount, sampleBytes);
    }

    private static (uint Timescale, ulong Duration) TimescaleAndDuration(byte[] file, Box box, int durationOffsetV0, int durationOffsetV1)
    {
        // Full box: version (1 byte) and flags; version 1 has 64-bit times. Timescale follows creation and modification times.
        var version = file[box.BodyStart];
        if (version == 1)
        {
            Need(box, box.BodyStart + durationOffsetV1 + 8);
            return (BinaryPrimitives.ReadUInt32BigEndian(file.AsSpan(box.BodyStart + 20)), BinaryPrimitives.ReadUInt64BigEndian(file.AsSpan(box.BodyStart + durationOffsetV1)));
        }

        Need(box, box.BodyStart + durationOffsetV0 + 4);
        return (BinaryPrimitives.ReadUInt32BigEndian(file.AsSpan(box.BodyStart + 12)), BinaryPrimitives.ReadUInt32BigEndian(file.AsSpan(box.BodyStart + durationOffsetV0)));
    }

    private static void Need(Box box, long end)
    {
        if (end > box.End)
        {
            throw new FormatException($"Box '{box.Type}' at {box.Start} is too short for what it declares.");
        }
    }

    private static Box Single(List<Box> boxes, string type, string parent)
    {
        var found = boxes.Where(b => b.Type == type).ToList();
        return found.Count == 1 ? found[0] : throw new FormatException($"Expected one '{type}' box in {parent}, found {found.Count}.");
    }

    private static List<Box> Children(byte[] file, int start, int end)
    {
        var boxes = new List<Box>();
        long offset = start;
        while (offset + 8 <= end)
        {
            long size = BinaryPrimitives.ReadUInt32BigEndian(file.AsSpan((int)offset, 4));
            var type = Encoding.ASCII.GetString(file, (int)offset + 4, 4);
            var header = 8;
            if (size == 1 && offset + 16 <= end)
            {
                size = (long)BinaryPrimitives.ReadUInt64BigEndian(file.AsSpan((int)offset + 8, 8));
                header = 16;
            }
            else if (size == 0)
            {
                size = end - offset;
            }

            if (size < header || offset + size > end)
            {
                throw new FormatException($"Box '{type}' at {offset} has an invalid size {size}.");
            }

            boxes.Add(new Box(type, (int)offset, (int)offset + header, (int)(offset + size)));
            offset += size;
        }

        if (offset != end)
        {
            throw new FormatException($"{end - offset} trailing bytes after the last box at {offset}.");
        }

        return boxes;
    }
}
