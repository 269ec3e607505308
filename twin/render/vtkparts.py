"""The VTK classes the twin uses, each from its own module.

``import vtk`` loads every VTK module (0.5-0.7 s of a start on the 2-core machine) where the
twin needs twenty classes of six; modules write ``from twin.render import vtkparts as vtk`` and
use ``vtk.vtkActor`` as before. The OpenGL and FreeType back ends that draw them are loaded by
``pyvista.plotting``.
"""

from __future__ import annotations

from vtkmodules.vtkCommonCore import vtkPoints, vtkStringArray
from vtkmodules.vtkCommonDataModel import vtkImageData, vtkPolyData
from vtkmodules.vtkFiltersCore import vtkQuadricClustering
from vtkmodules.vtkFiltersSources import vtkPlaneSource
from vtkmodules.vtkRenderingCore import (
    vtkActor,
    vtkActor2D,
    vtkCamera,
    vtkCellPicker,
    vtkGlyph3DMapper,
    vtkMapper,
    vtkPolyDataMapper,
    vtkProp,
    vtkRenderer,
    vtkTextActor,
    vtkTextProperty,
    vtkTextRenderer,
    vtkTexture,
)
from vtkmodules.vtkRenderingLabel import vtkLabeledDataMapper

__all__ = [
    "vtkActor",
    "vtkActor2D",
    "vtkCamera",
    "vtkCellPicker",
    "vtkGlyph3DMapper",
    "vtkImageData",
    "vtkLabeledDataMapper",
    "vtkMapper",
    "vtkPlaneSource",
    "vtkPoints",
    "vtkPolyData",
    "vtkPolyDataMapper",
    "vtkProp",
    "vtkQuadricClustering",
    "vtkRenderer",
    "vtkStringArray",
    "vtkTextActor",
    "vtkTextProperty",
    "vtkTextRenderer",
    "vtkTexture",
]
