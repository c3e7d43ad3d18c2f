using System.Buffers.Binary;
using System.Text;

namespace KlingGenerated.Tests.Infrastructure;

/// <summary>Reads the top-level box types of an MP4 (ISO BMFF) file.</summary>
public static class Mp4
{
    public static IReadOnlyList<string> TopLevelBoxes(byte[] file)
    {
        var boxes = new List<string>();
        long offset = 0;
        while (offset + 8 <= file.Length)
        {
            long size = BinaryPrimitives.ReadUInt32BigEndian(file.AsSpan((int)offset, 4));
            var type = Encoding.ASCII.GetString(file, (int)offset + 4, 4);
            if (size == 1 && offset + 16 <= file.Length)
            {
                size = (long)BinaryPrimitives.ReadUInt64BigEndian(file.AsSpan((int)offset + 8, 8));
            }
            else if (size == 0)
            {
                size = file.Length - offset;
            }

            if (size < 8 || offset + size > file.Length)
            {
                throw new FormatException($"Box '{type}' at {offset} has an invalid size {size}.");
            }

            boxes.Add(type);
            offset += size;
        }

        if (offset != file.Length)
        {
            throw new FormatException($"{file.Length - offset} trailing bytes after the last box.");
        }

        return boxes;
    }
}
