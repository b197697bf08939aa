import { LabIcon } from '@jupyterlab/ui-components';

/** A key whose bow is an atom: quantum credentials. Theme-aware (jp-icon3). */
const svgstr = `<svg xmlns="http://www.w3.org/2000/svg" width="16" height="16" viewBox="0 0 24 24">
  <g class="jp-icon3" fill="#616161">
    <path d="M8 3.2c-2.7 0-4.8 2.2-4.8 4.8s2.2 4.8 4.8 4.8c.9 0 1.7-.2 2.4-.7l7.3 7.3 1.6-1.6-1.4-1.4 1.5-1.5-1.5-1.5-1.5 1.5-1.4-1.4 1.5-1.5-1.5-1.5-1.5 1.5-2-2c.4-.7.7-1.5.7-2.4C12.8 5.4 10.7 3.2 8 3.2zm0 2c.5 0 .9.4.9.9s-.4.9-.9.9-.9-.4-.9-.9.4-.9.9-.9z"/>
    <path d="M8 4.6c2.6 0 4.7.6 4.7 1.4S10.6 7.4 8 7.4 3.3 6.8 3.3 6 5.4 4.6 8 4.6zm0 .7C5.9 5.3 4.2 5.7 4.2 6s1.7.7 3.8.7 3.8-.4 3.8-.7-1.7-.7-3.8-.7z" opacity=".55"/>
  </g>
</svg>`;

export const qcredIcon = new LabIcon({ name: 'jupyter-qcred:icon', svgstr });
