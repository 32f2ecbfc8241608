using System.Text;

namespace Cascade.Core.Tests;

public class Crc32CTests
{
    [Theory]
    [InlineData("", 0x00000000u)]
    [InlineData("a", 0xC1D04330u)]
    [InlineData("abc", 0x364B3FB7u)]
    [InlineData("123456789", 0xE3069283u)]
    [InlineData("The quick brown fox jumps over the lazy dog", 0x22620404u)]
    public void Compute_matches_the_published_check_values(string text, uint expected)
    {
        byte[] data = Encoding.ASCII.GetBytes(text);

        Assert.Equal(expected, Crc32C.Compute(data));
        Assert.Equal(expected, Crc32C.ComputeSoftware(data));
    }

    [Fact]
    public void Compute_matches_the_RFC_3720_test_vectors()
    {
        // iSCSI (RFC 3720, appendix B.4): 32 bytes of zeros, of 0xFF, ascending and descending.
        var zeros = new byte[32];
        var ones = Enumerable.Repeat((byte)0xFF, 32).ToArray();
        var ascending = Enumerable.Range(0, 32).Select(i => (byte)i).ToArray();
        var descending = Enumerable.Range(0, 32).Select(i => (byte)(31 - i)).ToArray();

        Assert.Equal(0x8A9136AAu, Crc32C.Compute(zeros));
        Assert.Equal(0x62A8AB43u, Crc32C.Compute(ones));
        Assert.Equal(0x46DD794Eu, Crc32C.Compute(ascending));
        Assert.Equal(0x113FDB5Cu, Crc32C.Compute(descending));
    }

    [Fact]
    public void The_hardware_path_equals_the_software_path_on_random_data_of_every_length_and_alignment()
    {
        var random = new Random(20261122);
        var buffer = new byte[4096 + 16];
        random.NextBytes(buffer);
        for (int length = 0; length <= 300; length++)
        {
            for (int start = 0; start < 9; start++)
            {
                var data = buffer.AsSpan(start, length);
                Assert.Equal(Crc32C.ComputeSoftware(data), Crc32C.Compute(data));
            }
        }
        for (int i = 0; i < 200; i++)
        {
            int start = random.Next(16);
            int length = random.Next(buffer.Length - start);
            var data = buffer.AsSpan(start, length);
            Assert.Equal(Crc32C.ComputeSoftware(data), Crc32C.Compute(data));
        }
    }

    [Fact]
    public void Append_continues_a_checksum_across_any_split_of_the_data()
    {
        var random = new Random(7);
        var data = new byte[777];
        random.NextBytes(data);
        uint whole = Crc32C.Compute(data);
        for (int split = 0; split <= data.Length; split += 37)
        {
            uint first = Crc32C.Compute(data.AsSpan(0, split));
            Assert.Equal(whole, Crc32C.Append(first, data.AsSpan(split)));
        }
        Assert.Equal(whole, Crc32C.Append(0, data));
    }

    [Fact]
    public void A_single_flipped_bit_changes_the_checksum()
    {
        var random = new Random(11);
        var data = new byte[256];
        random.NextBytes(data);
        uint original = Crc32C.Compute(data);
        for (int bit = 0; bit < data.Length * 8; bit++)
        {
            data[bit / 8] ^= (byte)(1 << (bit % 8));
            Assert.NotEqual(original, Crc32C.Compute(data));
            data[bit / 8] ^= (byte)(1 << (bit % 8));
        }
        Assert.Equal(original, Crc32C.Compute(data));
    }
}
