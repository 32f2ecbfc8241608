using System.IO.MemoryMappedFiles;
using System.Runtime.InteropServices;

namespace Cascade.Ann;

/// <summary>
/// A 64-byte aligned block of unmanaged memory. The large arrays of an index (vectors, layer-0 links) live here
/// so that an index built in memory and one mapped from a file are read by the same pointer code.
/// </summary>
internal sealed unsafe class NativeBuffer : IDisposable
{
    private void* _pointer;

    public NativeBuffer(long bytes)
    {
        Bytes = Math.Max(bytes, 64);
        _pointer = NativeMemory.AlignedAlloc((nuint)Bytes, 64);
    }

    public void* Pointer => _pointer;

    public long Bytes { get; private set; }

    /// <summary>Moves the contents into a larger block; only when no other thread reads the buffer.</summary>
    public void Grow(long bytes)
    {
        if (bytes <= Bytes)
        {
            return;
        }
        void* next = NativeMemory.AlignedAlloc((nuint)bytes, 64);
        Buffer.MemoryCopy(_pointer, next, bytes, Bytes);
        NativeMemory.AlignedFree(_pointer);
        _pointer = next;
        Bytes = bytes;
    }

    /// <summary>Frees the block if its owner was never disposed.</summary>
    ~NativeBuffer() => Free();

    public void Dispose()
    {
        Free();
        GC.SuppressFinalize(this);
    }

    private void Free()
    {
        if (_pointer is not null)
        {
            NativeMemory.AlignedFree(_pointer);
            _pointer = null;
        }
    }
}

/// <summary>A read-only memory-mapped view of a whole file, held open for the lifetime of a loaded index.</summary>
internal sealed unsafe class MappedFile : IDisposable
{
    private readonly MemoryMappedFile _file;
    private readonly MemoryMappedViewAccessor _view;
    private bool _acquired;

    public MappedFile(string path, long length)
    {
        _file = MemoryMappedFile.CreateFromFile(path, FileMode.Open, null, 0, MemoryMappedFileAccess.Read);
        try
        {
            _view = _file.CreateViewAccessor(0, length, MemoryMappedFileAccess.Read);
            byte* p = null;
            _view.SafeMemoryMappedViewHandle.AcquirePointer(ref p);
            _acquired = true;
            Pointer = p + _view.PointerOffset;
        }
        catch
        {
            _view?.Dispose();
            _file.Dispose();
            throw;
        }
        Length = length;
    }

    public byte* Pointer { get; }

    public long Length { get; }

    public void Dispose()
    {
        if (_acquired)
        {
            _view.SafeMemoryMappedViewHandle.ReleasePointer();
            _acquired = false;
        }
        _view.Dispose();
        _file.Dispose();
    }
}
